// The one Redis client module: one Redis or a Redis Cluster (detected, not configured), reconnect
// with backoff, and (re)loading our functions.
import type { EventEmitter } from 'node:events';
import { createClient, createCluster, type RedisClientOptions, type RedisClientType } from 'redis';
import type { Log } from '../util/logger.js';
import { loadFunctions } from './functions.js';
import { markCluster } from './topology.js';
import { setReplicaWait } from './replica-wait.js';

/**
 * The client type used everywhere. A cluster client is typed as this too: keyed commands have the
 * same signatures on both; what differs (raw commands, per-node commands, blocking connections)
 * goes through topology.ts.
 */
export type Redis = RedisClientType;

export interface RedisOptions {
  /** One URL, or a comma-separated list of cluster seed nodes. */
  url: string;
  log: Log;
  /** Name shown in CLIENT LIST, to tell our connections apart. */
  name?: string;
  /** Cluster node addresses as the nodes announce them → as reachable from this process. */
  nodeAddressMap?: Record<string, string>;
  /** Replicas an ingest or a commit waits for (WAIT) before it is acknowledged; 0: none. */
  waitReplicas?: number;
}

function nodeOptions(name: string): RedisClientOptions {
  return {
    name,
    // Fail fast while disconnected: a queued request would hang the HTTP client instead of getting 503.
    disableOfflineQueue: true,
    // No per-command timeout: node-redis builds an AbortSignal per command, which cost a quarter of
    // single-event ingest throughput. Function calls carry a cheaper deadline (deadline.ts).
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 5_000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
    },
  };
}

/** Seed URLs of REDIS_URL, in order. */
export function seedUrls(url: string): string[] {
  return url.split(',').map((u) => u.trim()).filter(Boolean);
}

/** Asks the first reachable seed whether it is a cluster node (INFO cluster). */
async function detectCluster(seeds: string[], log: Log): Promise<boolean> {
  let last: unknown;
  for (const url of seeds) {
    const probe = createClient({ url, socket: { connectTimeout: 5_000, reconnectStrategy: false } });
    probe.on('error', () => {});
    try {
      await probe.connect();
      return /cluster_enabled:1/.test(await probe.info('cluster'));
    } catch (err) {
      last = err;
      if (seeds.length > 1) log.warn({ redis: url.replace(/\/\/[^@]*@/, '//***@'), err: (err as Error).message }, 'redis seed unreachable');
    } finally {
      await probe.close().catch(() => probe.destroy());
    }
  }
  throw last instanceof Error ? last : new Error('no Redis seed reachable');
}

function logErrors(client: EventEmitter, log: Log, event = 'error'): void {
  let lastError = '';
  client.on(event, (err: Error) => {
    // node-redis emits every socket error; log each distinct one once per outage, not per retry.
    if (err.message !== lastError) log.warn({ err: err.message }, 'redis connection error');
    lastError = err.message;
  });
}

/**
 * Connects and loads the Redis functions on every primary; reloads them when a node (re)connects,
 * because a restarted Redis without persistence, or a new primary, does not have them.
 */
export async function connectRedis(opts: RedisOptions): Promise<Redis> {
  const seeds = seedUrls(opts.url);
  const name = opts.name ?? 'streamgate';
  const reload = (client: Redis) => loadFunctions(client).catch((err: unknown) => opts.log.error({ err }, 'loading redis functions failed'));
  if (await detectCluster(seeds, opts.log)) {
    const first = new URL(seeds[0]!);
    const node = nodeOptions(name);
    const cluster = createCluster({
      rootNodes: seeds.map((url) => ({ url })),
      // Nodes found through CLUSTER SLOTS get the seeds' credentials and TLS.
      defaults: {
        ...node,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        socket: { ...node.socket, ...(first.protocol === 'rediss:' ? { tls: true as const } : {}) },
      },
      // A primary that stopped answering may have been replaced by its replica: ask the cluster
      // for its slots a second after losing the node (node-redis waits 5 s by default).
      topologyRefreshOnReconnectionAttemptStrategy: 1_000,
      ...(opts.nodeAddressMap && Object.keys(opts.nodeAddressMap).length ? { nodeAddressMap: mapAddresses(opts.nodeAddressMap) } : {}),
    });
    logErrors(cluster, opts.log);
    logErrors(cluster, opts.log, 'node-error');
    const redis = markCluster(cluster);
    let connected = false;
    cluster.on('node-ready', () => {
      if (connected) void reload(redis);
    });
    await cluster.connect();
    connected = true;
    await loadFunctions(redis);
    setReplicaWait(redis, opts.waitReplicas ?? 0);
    opts.log.info({ primaries: cluster.masters.length, replicas: cluster.replicas.length }, 'connected to a Redis Cluster');
    return redis;
  }
  if (seeds.length > 1) opts.log.warn({ seeds: seeds.length }, 'REDIS_URL lists several nodes but the first is not a cluster node: using it alone');
  const client: Redis = createClient({ url: seeds[0], ...nodeOptions(name) });
  logErrors(client, opts.log);
  let everReady = false;
  client.on('ready', () => {
    if (everReady) {
      opts.log.info('redis reconnected');
      void reload(client);
    }
    everReady = true;
  });
  await client.connect();
  await loadFunctions(client);
  setReplicaWait(client, opts.waitReplicas ?? 0);
  return client;
}

/** "host:port" → "host:port" pairs as node-redis's nodeAddressMap. */
function mapAddresses(map: Record<string, string>): Record<string, { host: string; port: number }> {
  return Object.fromEntries(Object.entries(map).map(([from, to]) => {
    const at = to.lastIndexOf(':');
    return [from, { host: to.slice(0, at), port: Number(to.slice(at + 1)) }];
  }));
}
