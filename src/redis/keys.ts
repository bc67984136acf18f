// The only place Redis keys are built. Every key of one stream partition carries that
// partition's Cluster hash tag (placement.ts), so one atomic step never spans slots.
import { createHash } from 'node:crypto';
import type { PartitionRef } from './placement.js';

const PREFIX = 'sg';

function digest(text: string): string {
  return createHash('sha1').update(text).digest('base64url');
}

export const keys = {
  /** Hash: stream name → stream config JSON. */
  streamRegistry: () => `${PREFIX}:{meta}:streams`,
  /** The Redis Stream holding one partition's events: ours, or an adopted stream's own key when the partition names one. */
  events: (part: PartitionRef) => part.source ?? `${PREFIX}:${part.tag}:events`,
  /** String: the first answer to a request with this Idempotency-Key. */
  idempotency: (part: PartitionRef, idempotencyKey: string) => `${PREFIX}:${part.tag}:idem:${digest(idempotencyKey)}`,
  /** String: the entry id of the event that first carried this `id`. */
  eventId: (part: PartitionRef, eventId: string) => `${PREFIX}:${part.tag}:eid:${digest(eventId)}`,
  /** Hash: query id → query definition JSON. */
  queryRegistry: () => `${PREFIX}:{meta}:queries`,
  /** Counter bumped on every registry change, polled by every process. */
  queryRegistryVersion: () => `${PREFIX}:{meta}:queries:version`,
  /** Counter of failed authentications from one client address (TTL: AUTH_FAIL_WINDOW). */
  authFailures: (address: string) => `${PREFIX}:{meta}:authfail:${address}`,
  /** Sorted set: one API key's held slots of one kind (subscriptions, connections) → expiry (ms). */
  quotaSlots: (label: string, kind: string) => `${PREFIX}:{quota:${label}}:${kind}`,
  /** Hash: one API key's ingest token bucket (tokens, at). */
  quotaEvents: (label: string) => `${PREFIX}:{quota:${label}}:events`,
  /** Counter: one API key's (or address's) requests in the current rate-limit window. */
  rateWindow: (label: string) => `${PREFIX}:{quota:${label}}:requests`,
  /** Sorted set: process id → heartbeat expiry (ms); the live gateway processes. */
  members: () => `${PREFIX}:{meta}:members`,
  /** Per task (query × partition): everything one commit touches shares the partition's tag. */
  task: (part: PartitionRef, queryId: string) => {
    const base = `${PREFIX}:${part.tag}:q:${queryId}`;
    return {
      lease: `${base}:lease`,
      epoch: `${base}:epoch`,
      checkpoint: `${base}:ckpt`,
      state: `${base}:state`,
      changes: `${base}:changes`,
      results: `${base}:results`,
      resultsExpiry: `${base}:results:exp`,
      late: `${base}:late`,
      deadLetter: `${base}:dlq`,
      /** Hash: row key → this partition's partial group of a sealed window, until the merging partition has emitted its final row. */
      sealed: `${base}:sealed`,
      /** Sorted set (score 0) of every row key in `state`, `sealed` and `results`: reads page and look up by key range. */
      index: `${base}:index`,
      /**
       * Prefix of each group's values hash (`<prefix><row key>`): large DISTINCT sets kept outside
       * the group's state entry, so that a commit writes only the values it added.
       */
      valuesPrefix: `${base}:values:`,
    };
  },
  /** One sink of a query, under the query's first partition's tag: its progress hash and dead letters. */
  sink: (part: PartitionRef, queryId: string, name: string) => ({
    state: `${PREFIX}:${part.tag}:q:${queryId}:sink:${name}`,
    dead: `${PREFIX}:${part.tag}:q:${queryId}:sink:${name}:dead`,
  }),
  /** String: the id of the last entry of one partition written to the Parquet archive (src/archive). */
  archived: (part: PartitionRef) => `${PREFIX}:${part.tag}:archived`,
  /** String: the token of the process archiving one partition now (expires). */
  archiveLock: (part: PartitionRef) => `${PREFIX}:${part.tag}:archive:lock`,
  /** Pattern matching every key of one partition (for deletion: a SCAN of the node serving its slot). */
  partitionPattern: (part: PartitionRef) => `${PREFIX}:${part.tag}:*`,
} as const;

/** Every key of one task (query × partition). */
export type TaskKeys = ReturnType<typeof keys.task>;
