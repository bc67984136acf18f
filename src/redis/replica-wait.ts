// REDIS_WAIT_REPLICAS: an acknowledged ingest and a committed batch are on that many replicas
// (WAIT after the write, on the connection that wrote it), so a primary failover does not lose
// them. Without it, Redis replicates asynchronously: a failover can drop the last writes a primary
// acknowledged before it died.
import type { Redis } from './client.js';
import { AppError } from '../errors.js';
import { clientForKey } from './topology.js';

/** How long a write waits for its replicas before the caller answers 503. */
const WAIT_TIMEOUT_MS = 2_000;

const settings = new WeakMap<object, number>();

export function setReplicaWait(redis: Redis, replicas: number): void {
  if (replicas > 0) settings.set(redis, replicas);
}

/**
 * Resolves once the write just made through `redis` to `key`'s slot is on the configured number
 * of replicas; throws a 503 when it is not within WAIT_TIMEOUT_MS (it is on the primary, and may
 * or may not survive a failover: the client retries with its Idempotency-Key).
 */
export async function awaitReplicas(redis: Redis, key: string): Promise<void> {
  const replicas = settings.get(redis);
  if (!replicas) return;
  const node = await clientForKey(redis, key);
  const acked = Number(await node.sendCommand(['WAIT', String(replicas), String(WAIT_TIMEOUT_MS)]));
  if (acked < replicas) {
    throw new AppError('SG_ERR_REDIS_UNAVAILABLE', `the write reached ${acked} of the ${replicas} replicas REDIS_WAIT_REPLICAS asks for; retry later with the same Idempotency-Key`, { retryAfterSeconds: 1 });
  }
}
