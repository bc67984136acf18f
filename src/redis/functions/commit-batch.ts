// commit_batch (commit-batch.lua): its arguments encoded and its reply decoded, beside the script.
import type { Redis } from '../client.js';
import { callFunction } from '../functions.js';
import type { TaskKeys } from '../keys.js';
import type { ApplyResult, StateDelta } from '../../engine/index.js';

/** The commit was refused: this process no longer holds the task's lease. Nothing was written. */
export class FencedError extends Error {
  override name = 'FencedError';
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

/** The FCALL keys and arguments of one commit, in the order commit-batch.lua reads them. */
export function encodeCommit(k: TaskKeys, source: string, c: CommitInput): { keys: string[]; args: string[] } {
  const { delta, result } = c;
  const setPairs = Object.entries(delta.set);
  const sealedPairs = Object.entries(c.sealed ?? {});
  const args: string[] = [
    c.owner, String(c.epoch), c.group, c.offset ?? '', delta.meta, String(c.processed),
    String(c.nowMs), String(c.resultRetentionMs), String(c.changesMaxLength), c.traceparent ?? '', c.arrivalMs === undefined ? '' : String(c.arrivalMs),
    String(setPairs.length), String(delta.del.length), String(c.ack.length), String(result.changes.length),
    String(result.closed.length), String(result.late.length), String(c.dead.length), String(sealedPairs.length), String(delta.added.length),
    String(delta.dropValues?.length ?? 0), String(delta.values?.length ?? 0),
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
  for (const key of delta.dropValues ?? []) args.push(key);
  for (const [key, pairs] of delta.values ?? []) {
    args.push(key, String(pairs.length));
    for (const [f, v] of pairs) args.push(f, v);
  }
  return { keys: [k.lease, k.checkpoint, k.state, source, k.changes, k.results, k.resultsExpiry, k.late, k.deadLetter, k.sealed, k.index, k.valuesPrefix], args };
}

/** The reply: the id of the last change appended ('' when none) and how many were. */
export function decodeCommitReply(reply: unknown): { lastChangeId: string; changes: number } {
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`commit_batch answered ${JSON.stringify(reply)}`);
  return { lastChangeId: String(reply[0]), changes: Number(reply[1]) };
}

/** One atomic commit; throws FencedError when the lease check fails. Returns the last change id. */
export async function commitBatch(redis: Redis, k: TaskKeys, source: string, c: CommitInput): Promise<string> {
  const { keys: fnKeys, args } = encodeCommit(k, source, c);
  try {
    return decodeCommitReply(await callFunction(redis, 'commit_batch', fnKeys, args)).lastChangeId;
  } catch (err) {
    if (err instanceof Error && /\bFENCED\b/.test(err.message)) throw new FencedError(k.lease);
    throw err;
  }
}
