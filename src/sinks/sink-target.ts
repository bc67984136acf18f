// What a sink runner drives: a place results go, which keeps (or is told) how far it got.
import type { Row } from '../engine/index.js';

export interface SinkChange {
  op: 'upsert' | 'delete';
  key: string;
  row: Row;
  /** The query's offset after this change (one changes-stream id per partition, comma-separated). */
  offset: string;
  final: boolean;
}

export interface SnapshotPage {
  rows: { key: string; row: Row; final: boolean }[];
  first: boolean;
  last: boolean;
  /** On the last page: the offset the changes after the snapshot start from. */
  offset?: string;
}

export interface SinkTarget {
  /** Connects and prepares; answers the offset delivery resumes after (undefined: start with a snapshot). */
  open(): Promise<string | undefined>;
  /** Pages of a snapshot, in order: the first replaces what the target holds, the last carries the offset. */
  snapshot(page: SnapshotPage): Promise<void>;
  /** Changes in order; on success the target holds them and the offset of the last one. */
  changes(batch: SinkChange[]): Promise<void>;
  close(): Promise<void>;
}

/** A failure of the target (unreachable, refused): the runner restarts from the target's own offset. */
export class SinkError extends Error {}
