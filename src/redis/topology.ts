// What differs between one Redis and a Redis Cluster, in one place. A cluster client is used
// through the single-node client's type: every keyed command has the same signature on both and
// is routed by its first key. The commands below are the ones that are not: raw commands (routed
// by an explicit key), per-node commands (functions, INFO, per-node SCAN) and dedicated connections
// for blocking reads.
import type { RedisClientType, RedisClusterType } from 'redis';
import type { Redis } from './client.js';

const clusters = new WeakSet<object>();

/** Marks a cluster client, so that the helpers below know how to route. */
export function markCluster(cluster: RedisClusterType): Redis {
  clusters.add(cluster);
  return cluster as unknown as Redis;
}

export function isCluster(redis: Redis): boolean {
  return clusters.has(redis);
}

function asCluster(redis: Redis): RedisClusterType {
  return redis as unknown as RedisClusterType;
}

/** A raw command, routed on a cluster to the node serving `firstKey`. */
export function sendKeyed(redis: Redis, firstKey: string | undefined, args: string[]): Promise<unknown> {
  return isCluster(redis) ? asCluster(redis).sendCommand(firstKey, false, args) : redis.sendCommand(args);
}

/** One connection per primary (the client itself on one Redis): for FUNCTION LOAD, INFO and per-node scans. */
export async function primaryClients(redis: Redis): Promise<RedisClientType[]> {
  if (!isCluster(redis)) return [redis];
  const cluster = asCluster(redis);
  return Promise.all(cluster.masters.map((m) => cluster.nodeClient(m) as unknown as Promise<RedisClientType>));
}

/** The connection to the primary serving `key` (the client itself on one Redis). */
export async function clientForKey(redis: Redis, key: string): Promise<RedisClientType> {
  if (!isCluster(redis)) return redis;
  return (await asCluster(redis).getNodeClientForKey(key));
}

/**
 * A separate client for blocking reads (XREADGROUP/XREAD BLOCK), which would hold up every other
 * command queued behind them on a shared connection. On a cluster it connects only to the nodes it
 * is asked to read from. Not connected yet: the caller connects and closes it.
 */
export function duplicateForBlocking(redis: Redis): Redis {
  if (!isCluster(redis)) return redis.duplicate();
  return markCluster(asCluster(redis).duplicate({ minimizeConnections: true }));
}

/** `cluster_state` of every primary ('ok' on one Redis): a cluster that lost slots answers 'fail'. */
export async function clusterState(redis: Redis): Promise<string> {
  if (!isCluster(redis)) return 'ok';
  const states = await Promise.all((await primaryClients(redis)).map(async (c) => /cluster_state:(\w+)/.exec(await c.sendCommand<string>(['CLUSTER', 'INFO']))?.[1] ?? 'unknown'));
  return states.find((s) => s !== 'ok') ?? 'ok';
}

/** `host:port` of the primary serving `slot` as this client last saw the cluster; null on one Redis. */
export function primaryOfSlot(redis: Redis, slot: number): string | null {
  if (!isCluster(redis)) return null;
  const master = asCluster(redis).getSlotMaster(slot) as { host?: string; port?: number } | undefined;
  return master?.host ? `${master.host}:${master.port}` : null;
}
