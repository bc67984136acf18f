// The engine's public shapes: events in, changed rows out, state deltas for checkpoints.

/** One source event; `ts` is its event time in epoch ms, already resolved by ingest. */
export interface SourceEvent {
  id: string;
  ts: number;
  data: Record<string, unknown>;
}

/**
 * A result row keyed by output column name. Times are ISO-8601 UTC with milliseconds.
 * Integer results beyond ±2^53 (exact BigInt sums) are decimal strings.
 */
export type Row = Record<string, unknown>;

/** One row change; `key` is the stable row key (JSON of group values and window). */
export interface Change {
  op: 'upsert' | 'delete';
  key: string;
  row: Row;
  final: boolean;
}

export interface ApplyResult {
  changes: Change[];
  /** Events behind the watermark for a closed window; never applied. */
  late: SourceEvent[];
  /** Final rows (passing HAVING) of windows closed in this call, for the result store. */
  closed: { key: string; row: Row }[];
}

export interface EngineLimits {
  maxGroups?: number;
  /** Bytes of serialized state (the sum of the checkpoint entries' lengths). */
  maxStateBytes?: number;
}

export interface EngineOptions {
  emit: 'changes' | 'final';
  latenessMs: number;
  idleTimeoutMs?: number;
  limits?: EngineLimits;
  /**
   * One partition of a multi-partition query with fixed windows: windows do not close on this
   * engine's own watermark but when `seal` is given the query's; their final rows are made by
   * `finalRows` over the partitions' merged partials.
   */
  partial?: boolean;
}

/** A checkpoint delta: entries to set and delete in the state hash, plus the meta string. */
export interface StateDelta {
  set: Record<string, string>;
  del: string[];
  meta: string;
  /** Keys of `set` that are new to the checkpoint (for the result index). */
  added: string[];
  /** Per row key, pairs for its values hash: large states kept outside the group's entry. */
  values?: [string, [string, string][]][];
  /** Row keys whose values hash goes (their group left the state, or a new group took the key). */
  dropValues?: string[];
}

/** An incremental aggregation over one query plan. Deterministic: results depend only on state and input. */
export interface Engine {
  apply(batch: SourceEvent[]): ApplyResult;
  advanceIdle(processingTimeMs: number): ApplyResult;
  rows(): { key: string; row: Row }[];
  takeDelta(): StateDelta;
  load(entries: Record<string, string>, meta: string): void;
  snapshot(): string;
  restore(s: string): void;
  /** The current watermark (−Infinity before any event). */
  readonly watermark: number;
  /** Idle past the idle timeout (recorded by advanceIdle, cleared by events). */
  readonly idle: boolean;
  /** Partial engines: closes the windows ending at or before `horizon` (the query's watermark), taking their groups out of the working state; returns them serialized by row key. */
  seal(horizon: number): Record<string, string>;
  /** Partial engines: the horizon sealed so far. */
  readonly sealed: number;
  /** The merging partition's record of the final rows emitted so far (part of the meta). */
  finalized: number;
  /** The final rows and changes of closed windows from their merged partial groups (serialized), in (end, key) order. */
  finalRows(groups: Record<string, string>): ApplyResult;
  /** One serialized group's row and whether it passes HAVING, without touching the working state. */
  renderRow(group: string): { row: Row; passes: boolean };
}
