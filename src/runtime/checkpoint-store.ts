// Loads a task's checkpoint (and builds its result index when an older checkpoint has none); each
// batch is written by the one atomic commit in src/redis/functions/commit-batch.ts.
import type { Redis } from '../redis/client.js';
import type { TaskKeys } from '../redis/keys.js';
import type { QueryPlan } from '../sql/plan.js';
import { bindAggregates, hasOutsideValues, withOutsideValues } from '../engine/index.js';

export interface Checkpoint {
  state: Record<string, string>;
  meta: string;
  offset: string | undefined;
  processed: number;
  late: number;
  dead: number;
  updatedAt: number | undefined;
}

/** The checkpoint with every state entry whole (large states' values read back from their hashes). */
export async function loadCheckpoint(redis: Redis, k: TaskKeys, plan: QueryPlan): Promise<Checkpoint> {
  const [ckpt, state] = await Promise.all([redis.hGetAll(k.checkpoint), redis.hGetAll(k.state)]);
  return {
    state: await withValuesOf(redis, k.valuesPrefix, state, plan),
    meta: ckpt.meta ?? '',
    offset: ckpt.offset,
    processed: Number(ckpt.processed ?? 0),
    late: Number(ckpt.late ?? 0),
    dead: Number(ckpt.dead ?? 0),
    updatedAt: ckpt.updatedAt === undefined ? undefined : Number(ckpt.updatedAt),
  };
}

/**
 * Checkpoints written before the result index existed have none: the owner builds it from the
 * hashes before its first commit (while it holds the lease, so no commit runs beside it).
 */
export async function ensureResultIndex(redis: Redis, k: TaskKeys): Promise<void> {
  if ((await redis.exists(k.index)) === 1) return;
  const [state, sealed, results] = await Promise.all([redis.hKeys(k.state), redis.hKeys(k.sealed), redis.hKeys(k.results)]);
  const all = [...state, ...sealed, ...results];
  for (let i = 0; i < all.length; i += 1000) await redis.zAdd(k.index, all.slice(i, i + 1000).map((value) => ({ score: 0, value })));
}


/**
 * Entries (row key → group entry) with the stand-ins of large states replaced by the states rebuilt
 * from their values hashes (`prefix` + row key); other entries are returned as they are.
 */
export async function withValuesOf(redis: Redis, prefix: string, entries: Record<string, string>, plan: QueryPlan): Promise<Record<string, string>> {
  const aggs = bindAggregates(plan);
  const outside = Object.keys(entries).filter((key) => hasOutsideValues(entries[key]!, aggs));
  if (outside.length === 0) return entries;
  const out = { ...entries };
  for (let i = 0; i < outside.length; i += 100) {
    const some = outside.slice(i, i + 100);
    const hashes = await Promise.all(some.map((key) => redis.hGetAll(prefix + key)));
    some.forEach((key, j) => (out[key] = withOutsideValues(entries[key]!, hashes[j]!, aggs)));
  }
  return out;
}
