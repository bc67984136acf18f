// One subscription (a query on a connection): its position per partition, its filter, its outbox.
import type { Outbox } from './outbox.js';
import type { ChangeEntry } from './change-entry.js';
import { filteredDelete } from './change-entry.js';
import { encodeOffset } from './offsets.js';
import { compareIds } from '../util/stream-ids.js';
import { matches, type RowFilter } from '../runtime/row-filter.js';
import type { SnapshotCoverage } from './snapshot.js';

export class Subscriber {
  /** While catching up from the changes stream, live entries wait here (in order). */
  private pending: ChangeEntry[] | undefined = [];
  /** Keys the client holds under a filter, so a row leaving the filter becomes a delete. */
  private readonly visible = new Set<string>();

  /** Last changes-stream id delivered (or skipped) per partition; set once the start is known. */
  pos: string[] = [];
  /** After a paged snapshot: the changes its pages already include, until the replay passes them. */
  coverage: SnapshotCoverage | undefined;

  constructor(
    readonly queryId: string,
    private readonly filter: RowFilter,
    readonly outbox: Outbox,
    /** On the multiplexed socket, messages name their query. */
    private readonly mux: boolean,
    private readonly hardLimit: number,
    /** The query was deleted: the connection tells the client. */
    readonly onGone: () => void,
  ) {}

  get live(): boolean {
    return this.pending === undefined;
  }

  /** Rows from a snapshot that the client now holds (filtered subscriptions track them). */
  hold(keys: Iterable<string>): void {
    if (this.filter.length) for (const k of keys) this.visible.add(k);
  }

  /** From the tailer: live entries, held back until the replay is done. */
  offer(e: ChangeEntry): void {
    if (this.pending) {
      this.pending.push(e);
      // A replay that cannot keep up with the live stream is a slow consumer too.
      if (this.pending.length > this.hardLimit) this.outbox.overflow('the replay fell behind the live changes');
    } else this.deliver(e);
  }

  /**
   * From the tailer: one XREAD's entries of one partition, in order. A live subscriber without a
   * filter whose socket keeps up gets them as one shared frame; any other goes entry by entry.
   */
  offerAll(entries: ChangeEntry[], shared: () => Buffer): void {
    const first = entries[0];
    const last = entries[entries.length - 1];
    if (!first || !last) return;
    if (
      !this.pending && !this.coverage && this.filter.length === 0 && !this.mux && this.pos.length === 1 && this.outbox.batching &&
      compareIds(first.id, this.pos[0]!) > 0 && this.outbox.sendShared(shared())
    ) {
      this.pos[0] = last.id;
      return;
    }
    for (const e of entries) this.offer(e);
  }

  /** Replay is done: deliver what arrived meanwhile, then go live. */
  goLive(): void {
    const waiting = this.pending ?? [];
    this.pending = undefined;
    for (const e of waiting) this.deliver(e);
  }

  /** Sends one change if it is after this subscriber's position (replay and live may overlap). */
  deliver(e: ChangeEntry): void {
    if (compareIds(e.id, this.pos[e.partition]!) <= 0) return;
    this.pos[e.partition] = e.id;
    if (this.coverage) {
      const included = this.coverage.includes(e);
      if (this.coverage.passedBy(this.pos)) this.coverage = undefined;
      if (included) return;
    }
    const offset = this.pos.length === 1 ? e.id : encodeOffset(this.pos);
    const query = this.mux ? this.queryId : undefined;
    const conflateKey = this.mux ? () => `${this.queryId}|${e.key()}` : e.key;
    if (this.filter.length === 0) {
      this.outbox.push(e.frame(offset, query), conflateKey);
      return;
    }
    const c = e.change;
    if (c.op === 'upsert' && matches(this.filter, c.row)) {
      this.visible.add(c.key);
      this.outbox.push(e.frame(offset, query), conflateKey);
    } else if (this.visible.delete(c.key)) {
      this.outbox.push(c.op === 'delete' ? e.frame(offset, query) : filteredDelete(c, offset, query), conflateKey);
    }
  }
}
