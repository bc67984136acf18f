// Removing a deleted query's Redis keys in the background: DELETE only marks it deleting, and any
// coordinator reclaims it once no process can still write for it. A process that took a task just
// before the mark re-reads the definition after acquiring (Coordinator.startTask) and lets go, so a
// task whose lease is free after the mark has nobody left to re-create its keys.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { deleteTaskKeys } from '../redis/delete-keys.js';
import { type QueryDefinition, queryGroup, queryPartition } from './query-definition.js';
import type { QueryRegistry } from './query-registry.js';

/**
 * Reclaims a query marked deleting at least `settleMs` ago when none of its leases is held:
 * destroys its consumer groups, deletes its task keys, then its definition. Returns whether it did.
 * Idempotent: two processes reclaiming the same query at once delete the same keys.
 */
export async function reclaimDeletedQuery(redis: Redis, registry: QueryRegistry, def: QueryDefinition, settleMs: number): Promise<boolean> {
  if (def.status !== 'deleting' || Date.now() - (def.deletingAt ?? 0) < settleMs) return false;
  const tasks = Array.from({ length: def.partitions }, (_, p) => queryPartition(def, p)).map((part) => ({ part, k: keys.task(part, def.id) }));
  const held = await Promise.all(tasks.map(({ k }) => redis.exists(k.lease)));
  if (held.some((n) => n > 0)) return false;
  for (const { part, k } of tasks) {
    await redis.xGroupDestroy(keys.events(part), queryGroup(def)).catch(() => 0);
    await deleteTaskKeys(redis, k);
  }
  for (const sink of def.sinks ?? []) {
    const sk = keys.sink(queryPartition(def, 0), def.id, sink.name);
    await redis.unlink([sk.state, sk.dead]);
  }
  await registry.remove(def.id);
  return true;
}
