// Task leases with fencing epochs (lease-*.lua): acquire when free, renew while held, release.
import type { Redis } from '../redis/client.js';
import { callFunction } from '../redis/functions.js';
import type { TaskKeys } from './checkpoint-store.js';

/** The epoch now held by `owner`, or 0 when someone else holds the lease. */
export async function acquireLease(redis: Redis, k: TaskKeys, owner: string, ttlMs: number): Promise<number> {
  return Number(await callFunction(redis, 'lease_acquire', [k.lease, k.epoch], [owner, String(ttlMs)]));
}

export async function renewLease(redis: Redis, k: TaskKeys, owner: string, epoch: number, ttlMs: number): Promise<boolean> {
  return Number(await callFunction(redis, 'lease_renew', [k.lease], [owner, String(epoch), String(ttlMs)])) === 1;
}

export async function releaseLease(redis: Redis, k: TaskKeys, owner: string, epoch: number): Promise<boolean> {
  return Number(await callFunction(redis, 'lease_release', [k.lease], [owner, String(epoch)])) === 1;
}
