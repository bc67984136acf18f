// Snapshots of any size, read and sent page by page with bounded memory. Each page is exact for
// its key range at its own change ids; later pages are read later, so a change a page already
// includes must not be sent again (its row would step back to an older version). The coverage
// remembers each page's range and ids until the replay has passed them all.
import { byteOrder, type ResultReader } from '../runtime/result-reader.js';
import type { ChangeEntry } from './change-entry.js';
import type { Outbox } from './outbox.js';
import { compareIds } from '../util/stream-ids.js';
import { encodeOffset } from './offsets.js';
import { matches, type RowFilter } from '../runtime/row-filter.js';
import type { SnapshotMessage } from './messages.js';

/** Rows per snapshot message. */
export const SNAPSHOT_PAGE_ROWS = 1_000;


/** Which changes the pages sent so far already include. */
export class SnapshotCoverage {
  private readonly bounds: (string | undefined)[] = [];
  private readonly ids: string[][] = [];

  add(bound: string | undefined, ids: string[]): void {
    this.bounds.push(bound);
    this.ids.push(ids);
  }

  /** The change is already in the page that covers its key. */
  includes(e: ChangeEntry): boolean {
    const key = e.key();
    let lo = 0;
    let hi = this.bounds.length - 1;
    // The first page whose bound is at or after the key (the last page's bound is the end).
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const b = this.bounds[mid];
      if (b !== undefined && byteOrder(b, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    const ids = this.ids[lo];
    return ids !== undefined && compareIds(e.id, ids[e.partition]!) <= 0;
  }

  /** Every page is behind `pos`: no later change can be in one. */
  passedBy(pos: readonly string[]): boolean {
    const last = this.ids[this.ids.length - 1];
    return last === undefined || pos.every((id, p) => compareIds(id, last[p]!) >= 0);
  }
}

export interface SnapshotTarget {
  outbox: Outbox;
  filter: RowFilter;
  /** The query id, on the multiplexed socket. */
  query: string | undefined;
  /** Rows the client now holds (a filtered subscription tracks them). */
  hold(keys: string[]): void;
}

/**
 * Sends the query's rows as `snapshot` messages of up to `pageRows` rows, each read after the
 * previous one left the outbox (so a slow client slows the read instead of growing the process).
 * Only the last message has `last: true` and an offset: the first page's ids, where the replay of
 * changes starts. Returns that position and the coverage, or undefined when the outbox closed.
 */
export async function sendSnapshot(reader: ResultReader, to: SnapshotTarget, pageRows = SNAPSHOT_PAGE_ROWS): Promise<{ pos: string[]; coverage: SnapshotCoverage } | undefined> {
  const coverage = new SnapshotCoverage();
  let start: string[] | undefined;
  let after: string | undefined;
  for (;;) {
    const page = await reader.snapshotPage(after, pageRows);
    if (to.outbox.isClosed) return undefined;
    start ??= [...page.ids];
    coverage.add(page.bound, page.ids);
    const rows = to.filter.length ? page.rows.filter((r) => matches(to.filter, r.row)) : page.rows;
    const keys = rows.map((r) => r.key);
    to.hold(keys);
    const last = page.bound === undefined;
    const msg: SnapshotMessage = { type: 'snapshot', ...(to.query ? { query: to.query } : {}), rows: rows.map((r) => r.row), keys, ...(rows.some((r) => r.final) ? { final: rows.map((r) => r.final) } : {}), last, ...(last ? { offset: encodeOffset(start) } : {}) };
    to.outbox.push(JSON.stringify(msg));
    if (last) return { pos: start, coverage };
    after = page.bound;
    await to.outbox.drained();
  }
}
