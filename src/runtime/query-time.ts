// One event time per query across partitions. Each partition commits its own watermark, idle flag
// and sealed horizon in its meta; the query's watermark is the minimum over the partitions that are
// not idle (as Flink takes the minimum over input channels and skips idle ones). Partition 0 merges
// the partials every partition sealed and emits the final rows. See src/runtime/README.md.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { decodeMeta } from '../engine/checkpoint.js';
import { mergeStates } from '../engine/query-engine.js';
import type { QueryPlan } from '../sql/compile.js';
import type { QueryDefinition } from './query-definition.js';

export interface PartitionTime {
  wm: number;
  idle: boolean;
  sealed: number;
}

const UNKNOWN: PartitionTime = { wm: -Infinity, idle: false, sealed: -Infinity };

/** Every partition's committed time, by partition. */
export async function partitionTimes(redis: Redis, def: Pick<QueryDefinition, 'stream' | 'id' | 'partitions'>): Promise<PartitionTime[]> {
  const metas = await Promise.all(Array.from({ length: def.partitions }, (_, p) => redis.hGet(keys.task(def.stream, p, def.id).checkpoint, 'meta')));
  return metas.map((m) => {
    if (!m) return UNKNOWN;
    const d = decodeMeta(m);
    return { wm: d.wm, idle: d.idle, sealed: d.sealed };
  });
}

/**
 * The query's watermark: the least watermark of the partitions that are not idle. When all are
 * idle, each has advanced with processing time, so the greatest stands for the query.
 */
export function queryWatermark(times: PartitionTime[]): number {
  const active = times.filter((t) => !t.idle);
  if (active.length === 0) return Math.max(...times.map((t) => t.wm));
  return Math.min(...active.map((t) => t.wm));
}

/** Windows every partition has sealed (handed its partials over for). */
export function sealedEverywhere(times: PartitionTime[]): number {
  return Math.min(...times.map((t) => t.sealed));
}

export interface SealedPartials {
  /** Row key → the partials of every partition merged, for windows in (after, upTo]. */
  groups: Record<string, string>;
  /** Per partition, the row keys to remove once the final rows are committed (and leftovers at or before `after`). */
  done: string[][];
}

/** Reads and merges the sealed partials of windows ending in (after, upTo]. */
export async function collectSealed(redis: Redis, def: Pick<QueryDefinition, 'stream' | 'id' | 'partitions'>, plan: QueryPlan, after: number, upTo: number): Promise<SealedPartials> {
  const hashes = await Promise.all(Array.from({ length: def.partitions }, (_, p) => redis.hGetAll(keys.task(def.stream, p, def.id).sealed)));
  const groups: Record<string, string> = {};
  const done = hashes.map((hash) => {
    const keysDone: string[] = [];
    for (const [key, text] of Object.entries(hash)) {
      const end = (JSON.parse(text) as { e: number | null }).e ?? Infinity;
      if (end > upTo) continue;
      keysDone.push(key);
      // At or before `after`: already emitted by a merger that died before cleaning up.
      if (end <= after) continue;
      groups[key] = groups[key] === undefined ? text : mergeStates(plan, groups[key], text);
    }
    return keysDone;
  });
  return { groups, done };
}

/**
 * Removes partials whose final rows are committed (idempotent; a failure leaves them for the next
 * pass), and their keys from the result index wherever no state or final row holds them any more
 * (a sealed window never reopens; partition 0 keeps the keys of the final rows it stored).
 */
export async function removeSealed(redis: Redis, def: Pick<QueryDefinition, 'stream' | 'id' | 'partitions'>, done: string[][], finalKeys: Set<string>): Promise<void> {
  await Promise.all(
    done.map(async (rowKeys, p) => {
      if (rowKeys.length === 0) return;
      const k = keys.task(def.stream, p, def.id);
      await redis.hDel(k.sealed, rowKeys);
      const unindexed = p === 0 ? rowKeys.filter((key) => !finalKeys.has(key)) : rowKeys;
      if (unindexed.length) await redis.zRem(k.index, unindexed);
    }),
  );
}
