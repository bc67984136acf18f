// Loads a task's checkpoint and writes each batch with the one atomic commit (commit-batch.lua).
import type { Redis } from '../redis/client.js';
import { callFunction } from '../redis/functions.js';
import { keys } from '../redis/keys.js';
import type { ApplyResult, StateDelta } from '../engine/types.js';

export type TaskKeys = ReturnType<typeof keys.task>;

export interface Checkpoint {
  state: Record<string, string>;
  meta: string;
  offset: string | undefined;
  processed: number;
  late: number;
  dead: number;
  updatedAt: number | undefined;
}

/** The commit was refused: this process no longer holds the task's lease. Nothing was written. */
export class FencedError extends Error {
  constructor(task: string) {
    super(`commit refused for ${task}: the lease is held by another owner or expired (FENCED)`);
  }
}

export interface CommitInput {
  owner: string;
  epoch: number;
  group: string;
  offset: string | undefined;
  processed: number;
  delta: StateDelta;
  ack: string[];
  result: ApplyResult;
  dead: { id: string; entry: string; error: string }[];
  nowMs: number;
  resultRetentionMs: number;
  changesMaxLength: number;
  watermark: number;
  /** The batch's process span, stored with each change for the push span's link. */
  traceparent?: string | undefined;
  /** Arrival time (ms) of the batch's newest entry, stored with each change for push latency. */
  arrivalMs?: number | undefined;
  /** Partial groups of windows this partition sealed (row key → serialized group), for the merging partition. */
  sealed?: Record<string, string> | undefined;
}

export async function loadCheckpoint(redis: Redis, k: TaskKeys): Promise<Checkpoint> {
  const [ckpt, state] = await Promise.all([redis.hGetAll(k.checkpoint), redis.hGetAll(k.state)]);
  return {
    state,
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

/** One atomic commit; throws FencedError when the lease check fails. Returns the last change id. */
export async function commitBatch(redis: Redis, k: TaskKeys, source: string, c: CommitInput): Promise<string> {
  const { delta, result } = c;
  const setPairs = Object.entries(delta.set);
  const sealedPairs = Object.entries(c.sealed ?? {});
  const args: string[] = [
    c.owner, String(c.epoch), c.group, c.offset ?? '', delta.meta, String(c.processed),
    String(c.nowMs), String(c.resultRetentionMs), String(c.changesMaxLength), c.traceparent ?? '', c.arrivalMs === undefined ? '' : String(c.arrivalMs),
    String(setPairs.length), String(delta.del.length), String(c.ack.length), String(result.changes.length),
    String(result.closed.length), String(result.late.length), String(c.dead.length), String(sealedPairs.length), String(delta.added.length),
  ];
  for (const [key, value] of setPairs) args.push(key, value);
  for (const key of delta.del) args.push(key);
  for (const id of c.ack) args.push(id);
  for (const ch of result.changes) args.push(JSON.stringify(ch));
  for (const cl of result.closed) args.push(cl.key, JSON.stringify(cl.row));
  const wm = Number.isFinite(c.watermark) ? String(c.watermark) : '';
  for (const ev of result.late) args.push(ev.id, JSON.stringify(ev.data), wm);
  for (const d of c.dead) args.push(d.id, d.entry, d.error);
  for (const [key, value] of sealedPairs) args.push(key, value);
  for (const key of delta.added) args.push(key);
  const fnKeys = [k.lease, k.checkpoint, k.state, source, k.changes, k.results, k.resultsExpiry, k.late, k.deadLetter, k.sealed, k.index];
  try {
    const reply = (await callFunction(redis, 'commit_batch', fnKeys, args)) as [string, number];
    return reply[0];
  } catch (err) {
    if (err instanceof Error && /\bFENCED\b/.test(err.message)) throw new FencedError(k.lease);
    throw err;
  }
}
