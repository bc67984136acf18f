// The one Redis client module: connection, reconnect with backoff, and (re)loading our functions.
import { createClient, type RedisClientType } from 'redis';
import type { Log } from '../util/logger.js';
import { loadFunctions } from './functions.js';

export type Redis = RedisClientType;

export interface RedisOptions {
  url: string;
  log: Log;
  /** Name shown in CLIENT LIST, to tell our connections apart. */
  name?: string;
}

/**
 * Connects and loads the Redis functions; reloads them on every reconnect, because a
 * restarted Redis without persistence has forgotten them.
 */
export async function connectRedis(opts: RedisOptions): Promise<Redis> {
  const client: Redis = createClient({
    url: opts.url,
    name: opts.name ?? 'streamgate',
    // Fail fast while disconnected: a queued request would hang the HTTP client instead of getting 503.
    disableOfflineQueue: true,
    // No per-command timeout: node-redis builds an AbortSignal per command, which cost a quarter of
    // single-event ingest throughput. Function calls carry a cheaper deadline (deadline.ts).
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 5_000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
    },
  });
  let everReady = false;
  let lastError = '';
  client.on('error', (err: Error) => {
    // node-redis emits every socket error; log each distinct one once per outage, not per retry.
    if (err.message !== lastError) opts.log.warn({ err: err.message }, 'redis connection error');
    lastError = err.message;
  });
  client.on('ready', () => {
    lastError = '';
    if (everReady) opts.log.info('redis reconnected');
    everReady = true;
    loadFunctions(client).catch((err: unknown) => opts.log.error({ err }, 'loading redis functions failed'));
  });
  await client.connect();
  await loadFunctions(client);
  return client;
}
