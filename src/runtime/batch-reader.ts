// The read side of a task: this consumer's pending entries first (after recovery or a takeover),
// then new ones, with the next read started while the previous batch commits, and orphans (entries
// pending for an owner that lost its lease) claimed as they appear.
import type { Redis } from '../redis/client.js';
import type { StreamWatcher, Watch } from '../redis/stream-watcher.js';

export interface Entry {
  id: string;
  message: Record<string, string>;
}

export interface BatchReaderSettings {
  group: string;
  owner: string;
  batchSize: number;
  blockMs: number;
}

export class BatchReader {
  /** Re-read this consumer's pending list before new entries (after recovery or a takeover). */
  private readPending = true;
  /** The next batch of new entries, read while the previous batch's commit runs. */
  private prefetched: Promise<Entry[]> | undefined;
  private lastOrphanCheck = 0;
  /** Armed while the last read found nothing new: waited on instead of reading again. */
  private watch: Watch | undefined;

  /**
   * Reads go to the shared client without blocking; an empty read waits on the process's stream
   * watcher (one blocking connection for every task) until new entries land or blockMs passes.
   * `onPendingDrained` is told when the pending list has been read to its end.
   */
  constructor(
    private readonly redis: Redis,
    private readonly watcher: StreamWatcher,
    private readonly source: string,
    private readonly s: BatchReaderSettings,
    private readonly onPendingDrained: () => void,
  ) {}

  /** After recovery: the batch read before a failure is still pending and is read next, in id order. */
  async restart(): Promise<void> {
    this.readPending = true;
    this.prefetched = undefined;
    await this.claimOrphans(true);
  }

  /**
   * Entries pending for another consumer were delivered to an owner that lost its lease; they
   * were never committed (the commit acks atomically), so they are ours to process.
   */
  async claimOrphans(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastOrphanCheck < 1_000) return;
    this.lastOrphanCheck = now;
    const summary = await this.redis.xPending(this.source, this.s.group);
    const others = (summary.consumers ?? []).filter((c) => String(c.name) !== this.s.owner);
    if (others.length === 0) return;
    let cursor = '0-0';
    do {
      const r = await this.redis.xAutoClaimJustId(this.source, this.s.group, this.s.owner, 0, cursor, { COUNT: 1000 });
      cursor = String(r.nextId);
    } while (cursor !== '0-0');
    this.readPending = true;
  }

  /** The next batch: pending entries while there are any, else new ones (empty after blockMs). */
  async next(): Promise<Entry[]> {
    const prefetched = this.prefetched;
    this.prefetched = undefined;
    if (prefetched) {
      const entries = await prefetched;
      if (!this.readPending) return entries;
      // Orphans were claimed meanwhile: the pending list holds them and these, read in id order.
    }
    if (this.readPending) {
      const r = await this.redis.xReadGroup(this.s.group, this.s.owner, { key: this.source, id: '0' }, { COUNT: this.s.batchSize });
      const msgs = (r?.[0]?.messages ?? []) as Entry[];
      if (msgs.length > 0) return msgs;
      this.readPending = false;
      this.onPendingDrained();
    }
    return this.readNew();
  }

  /**
   * Starts reading the next new entries while this batch commits (on the task's own connection).
   * Only when reading new entries: the pending list still holds this batch until its commit acks it.
   */
  prefetch(): void {
    if (this.readPending) return;
    const next = this.readNew();
    next.catch(() => undefined); // awaited by the next step, or dropped with a failed commit
    this.prefetched = next;
  }

  /** New entries, or none after blockMs (the runner then does its periodic work and asks again). */
  private async readNew(): Promise<Entry[]> {
    if (!this.watch?.armed) {
      const now = await this.readNow();
      if (now.length > 0) return now;
      this.watch = await this.watcher.watch([this.source]);
      // Entries that landed before the watch was made are read here; later ones fire it.
      const again = await this.readNow();
      if (again.length > 0) {
        this.watch = undefined;
        return again;
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.watch.fired, new Promise<void>((ok) => (timer = setTimeout(ok, this.s.blockMs)))]);
    clearTimeout(timer);
    if (this.watch.armed) return [];
    this.watch = undefined;
    return this.readNow();
  }

  private async readNow(): Promise<Entry[]> {
    const r = await this.redis.xReadGroup(this.s.group, this.s.owner, { key: this.source, id: '>' }, { COUNT: this.s.batchSize });
    return (r?.[0]?.messages ?? []) as Entry[];
  }
}
