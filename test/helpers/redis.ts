// A real redis-server per test file, on a free port, in a temporary folder; stopped at teardown.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { createClient } from 'redis';
import { LocalRedis, type LocalRedisOptions } from '../../src/redis/local-server.js';
import type { Redis } from '../../src/redis/client.js';

export interface TestRedis {
  server: LocalRedis;
  url: string;
  /** A plain client for assertions, outside the code under test. */
  client: Redis;
  dir: string;
}

export async function startRedis(t: Test, opts: Partial<LocalRedisOptions> = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-redis-'));
  const server = new LocalRedis({ dir, persistence: false, ...opts });
  await server.start();
  const client = createClient({ url: server.url, socket: { reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 500) } }) as Redis;
  client.on('error', () => {});
  await client.connect();
  t.teardown(async () => {
    await client.close().catch(() => {});
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, url: server.url, client, dir };
}
