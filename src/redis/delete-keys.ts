// Deleting a task's or a partition's keys without a cluster-wide SCAN: a task's key names are all
// known (its groups' values hashes are named by the row keys in its index); a partition's
// idempotency and event-id keys are named by digests, so those are found by a SCAN of the one node
// serving the partition's slot, with a pattern made only of a validated stream name.
import type { Redis } from './client.js';
import { keys, type TaskKeys } from './keys.js';
import type { PartitionRef } from './placement.js';
import { clientForKey } from './topology.js';

const CHUNK = 500;

/** Every key of one task (query × partition). All share one slot, so each UNLINK is single-slot. */
export async function deleteTaskKeys(redis: Redis, k: TaskKeys): Promise<void> {
  for (let offset = 0; ; offset += CHUNK) {
    const rows = await redis.zRange(k.index, offset, offset + CHUNK - 1);
    if (rows.length === 0) break;
    await redis.unlink(rows.map((row) => k.valuesPrefix + row));
  }
  const { valuesPrefix: _prefix, ...named } = k;
  await redis.unlink(Object.values(named));
}

/** Every key of one stream partition: its events, and its idempotency and event-id records. */
export async function deletePartitionKeys(redis: Redis, part: PartitionRef): Promise<void> {
  const events = keys.events(part);
  await redis.unlink(events);
  const node = await clientForKey(redis, events);
  let batch: string[] = [];
  for await (const found of node.scanIterator({ MATCH: keys.partitionPattern(part), COUNT: 1000 })) {
    batch.push(...found);
    if (batch.length >= CHUNK) {
      await redis.unlink(batch);
      batch = [];
    }
  }
  if (batch.length) await redis.unlink(batch);
}
