// Task leases with fencing epochs (lease-*.lua): acquire when free, renew while held, release.
import type { Redis } from '../redis/client.js';
import { callFunction } from '../redis/functions.js';
import type { TaskKeys } from '../redis/keys.js';

export interface Acquired {
  /** The epoch now held by the owner, or 0 when someone else holds the lease. */
  epoch: number;
  /** Takeovers in a row from an owner that died mid-batch, since the task's last commit. */
  takeovers: number;
}

export async function acquireLease(redis: Redis, k: TaskKeys, source: string, group: string, owner: string, ttlMs: number): Promise<Acquired> {
  const [epoch, takeovers] = (await callFunction(redis, 'lease_acquire', [k.lease, k.epoch, k.checkpoint, source], [owner, String(ttlMs), group])) as [number, number];
  return { epoch: Number(epoch), takeovers: Number(takeovers) };
}

export async function renewLease(redis: Redis, k: TaskKeys, owner: string, epoch: number, ttlMs: number): Promise<boolean> {
  return Number(await callFunction(redis, 'lease_renew', [k.lease], [owner, String(epoch), String(ttlMs)])) === 1;
}

export async function releaseLease(redis: Redis, k: TaskKeys, owner: string, epoch: number): Promise<boolean> {
  return Number(await callFunction(redis, 'lease_release', [k.lease, k.checkpoint], [owner, String(epoch)])) === 1;
}
