// A real redis-server per test file, on a free port, in a temporary folder; stopped at teardown.
// With SG_TEST_REDIS=cluster, a 3-primary Redis Cluster of real redis-servers instead: the same
// suites then run against the cluster (npm run test:cluster).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { createClient, createCluster } from 'redis';
import { LocalRedis, type LocalRedisOptions } from '../../src/redis/local-server.js';
import { LocalCluster } from '../../src/redis/local-cluster.js';
import type { Redis } from '../../src/redis/client.js';
import { markCluster, primaryClients } from '../../src/redis/topology.js';

/** The server side a test can crash and restart: one redis-server, or every node of the cluster. */
export interface TestRedisServer {
  readonly url: string;
  readonly pid: number | undefined;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestRedis {
  server: TestRedisServer;
  url: string;
  /** A plain client for assertions, outside the code under test (a cluster client in cluster mode). */
  client: Redis;
  dir: string;
  /** Present in cluster mode. */
  cluster?: LocalCluster;
}

export const clusterMode = process.env.SG_TEST_REDIS === 'cluster';

const reconnect = (n: number) => Math.min(50 * 2 ** n, 500);

/** Every node of a local cluster, crashed and restarted together. */
class WholeCluster implements TestRedisServer {
  constructor(private readonly cluster: LocalCluster) {}
  get url() {
    return this.cluster.url;
  }
  get pid() {
    return this.cluster.nodes[0]?.pid;
  }
  async kill() {
    await Promise.all(this.cluster.nodes.map((_, i) => this.cluster.kill(i)));
  }
  async start() {
    await Promise.all(this.cluster.nodes.map((_, i) => this.cluster.restart(i)));
    await this.cluster.waitHealthy();
  }
  async stop() {
    await this.cluster.stop();
  }
}

export async function startCluster(t: Test, opts: { primaries?: number; replicas?: number; persistence?: boolean; nodeTimeoutMs?: number } = {}): Promise<TestRedis & { cluster: LocalCluster }> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-cluster-'));
  const cluster = new LocalCluster({ dir, ...opts });
  t.teardown(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await cluster.start();
  const raw = createCluster({ rootNodes: cluster.nodes.map((n) => ({ url: n.url })), defaults: { socket: { reconnectStrategy: reconnect } } });
  raw.on('error', () => {});
  raw.on('node-error', () => {});
  await raw.connect();
  const client = markCluster(raw);
  t.teardown(async () => {
    await raw.close().catch(() => raw.destroy());
  });
  return { server: new WholeCluster(cluster), url: cluster.url, client, dir, cluster };
}

export async function startRedis(t: Test, opts: Partial<LocalRedisOptions> = {}): Promise<TestRedis> {
  if (clusterMode) return startCluster(t, { persistence: opts.persistence ?? false });
  const dir = mkdtempSync(join(tmpdir(), 'sg-redis-'));
  const server = new LocalRedis({ dir, persistence: false, ...opts });
  await server.start();
  const client = createClient({ url: server.url, socket: { reconnectStrategy: reconnect } }) as Redis;
  client.on('error', () => {});
  await client.connect();
  t.teardown(async () => {
    await client.close().catch(() => {});
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, url: server.url, client, dir };
}

/** Every key matching `pattern`, by a SCAN of each primary (a cluster has no cluster-wide SCAN). */
export async function scanKeys(r: TestRedis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of await primaryClients(r.client)) {
    for await (const batch of node.scanIterator({ MATCH: pattern, COUNT: 1000 })) found.push(...batch);
  }
  return found.sort();
}

/** MONITOR on every primary (on separate connections): `onLine` sees each command any of them runs. */
export async function monitorAll(t: Test, r: TestRedis, onLine: (line: string) => void): Promise<void> {
  const urls = r.cluster ? r.cluster.nodes.map((n) => n.url) : [r.url];
  for (const url of urls) {
    const mon = createClient({ url });
    mon.on('error', () => {});
    await mon.connect();
    await mon.monitor((line: unknown) => onLine(String(line)));
    t.teardown(() => {
      mon.destroy();
    });
  }
}
