// One event time per query across partitions. Each partition commits its own watermark, idle flag
// and sealed horizon in its meta; the query's watermark is the minimum over the partitions that are
// not idle (as Flink takes the minimum over input channels and skips idle ones). Partition 0 merges
// the partials every partition sealed and emits the final rows. See src/runtime/README.md.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { decodeMeta } from '../engine/index.js';
import { mergeStates } from '../engine/index.js';
import type { QueryPlan } from '../sql/compile.js';
import type { ApplyResult, Engine } from '../engine/index.js';
import { type QueryDefinition, queryPartition } from './query-definition.js';
import type { Log } from '../util/logger.js';

// How often a partition of a multi-partition query reads the others' watermarks.
const FOLLOW_EVERY_MS = 100;

export interface PartitionTime {
  wm: number;
  idle: boolean;
  sealed: number;
}

const UNKNOWN: PartitionTime = { wm: -Infinity, idle: false, sealed: -Infinity };

/** Every partition's committed time, by partition. */
export async function partitionTimes(redis: Redis, def: Pick<QueryDefinition, 'stream' | 'id' | 'partitions'>): Promise<PartitionTime[]> {
  const metas = await Promise.all(Array.from({ length: def.partitions }, (_, p) => redis.hGet(keys.task(queryPartition(def, p), def.id).checkpoint, 'meta')));
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
  const hashes = await Promise.all(Array.from({ length: def.partitions }, (_, p) => redis.hGetAll(keys.task(queryPartition(def, p), def.id).sealed)));
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
      const k = keys.task(queryPartition(def, p), def.id);
      await redis.hDel(k.sealed, rowKeys);
      const unindexed = p === 0 ? rowKeys.filter((key) => !finalKeys.has(key)) : rowKeys;
      if (unindexed.length) await redis.zRem(k.index, unindexed);
    }),
  );
}

/**
 * One partition task's part in the query's event time: it seals the windows the query's watermark
 * has passed (their partials go to the partition's sealed hash in the task's next commit), and on
 * partition 0 turns the partials every partition has sealed into final rows, emitted by the next
 * commit with the new `finalized` horizon in the same meta: exactly once, whoever dies when.
 */
export class QueryTimeFollower {
  private last = 0;
  /** Groups sealed since the last commit (row key → partial group). */
  sealed: Record<string, string> = {};
  /** Partition 0: final rows for the next commit, and the partials they consumed. */
  final: { result: ApplyResult; done: string[][] } | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly def: Pick<QueryDefinition, 'stream' | 'id' | 'partitions'>,
    private readonly plan: QueryPlan,
    private readonly partition: number,
    private readonly log: Log,
  ) {}

  /** The engine was rebuilt from the checkpoint: what was sealed or merged since is gone with it. */
  reset(): void {
    this.sealed = {};
    this.final = undefined;
    this.last = 0;
  }

  async follow(engine: Engine): Promise<void> {
    const now = Date.now();
    if (now - this.last < FOLLOW_EVERY_MS) return;
    this.last = now;
    const committed = await partitionTimes(this.redis, this.def);
    const times = committed.slice();
    // Our own time as it will be committed with this step.
    times[this.partition] = { wm: engine.watermark, idle: engine.idle, sealed: engine.sealed };
    Object.assign(this.sealed, engine.seal(queryWatermark(times)));
    if (this.partition !== 0 || this.final) return;
    // Only what every partition has committed as sealed: those partials can no longer change.
    const upTo = sealedEverywhere(committed);
    if (!(upTo > engine.finalized)) return;
    const { groups, done } = await collectSealed(this.redis, this.def, this.plan, engine.finalized, upTo);
    this.final = { result: engine.finalRows(groups), done };
    engine.finalized = upTo;
  }

  /** The commit that carried `sealed` and `final` succeeded: clear them, then remove the merged partials. */
  committed(): void {
    const final = this.final;
    this.sealed = {};
    this.final = undefined;
    if (!final) return;
    removeSealed(this.redis, this.def, final.done, new Set(final.result.closed.map((c) => c.key))).catch((err: unknown) => {
      // Left for the next pass: collectSealed skips and removes partials already emitted.
      this.log.debug({ query: this.def.id, err: (err as Error).message }, 'could not remove merged partials');
    });
  }
}
