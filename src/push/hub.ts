// The process's push hub: one tailer per followed query, subscriptions with snapshot or exact resume,
// and the per-key subscription count.
import type { StreamWatcher } from '../redis/stream-watcher.js';
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import type { Log } from '../util/logger.js';
import { type QueryDefinition, queryPartition } from '../runtime/query-definition.js';
import type { QueryRegistry } from '../runtime/query-registry.js';
import { QueryTailer } from './tailer.js';
import { Subscriber } from './subscriber.js';
import type { Outbox } from './outbox.js';
import type { RowFilter } from '../runtime/row-filter.js';
import { ResultReader } from '../runtime/result-reader.js';
import { sendSnapshot } from './snapshot.js';
import { compiledQuery } from '../runtime/compiled-queries.js';
import { decodeOffset } from './offsets.js';
import { compareIds } from '../util/stream-ids.js';
import { errorMessage } from './messages.js';
import type { FunctionRegistry } from '../functions/index.js';

export interface HubOptions {
  blockMs: number;
  count: number;
  hardLimit: number;
  /** Built-in and user functions, to rebuild rows from states. */
  functions: FunctionRegistry;
  /** Rows per snapshot message (large snapshots are read and sent page by page). */
  snapshotPageRows?: number;
}

export interface SubscribeRequest {
  def: QueryDefinition;
  from: string | undefined;
  filter: RowFilter;
  outbox: Outbox;
  mux: boolean;
  /** The query was deleted while subscribed. */
  onGone: () => void;
}

type StreamInfo = {
  length: number;
  'entries-added': number;
  'last-generated-id': string;
  'max-deleted-entry-id'?: string;
  'first-entry'?: { id: string } | null;
};

/** Where a resume offset stands against the retained changes. */
export type OffsetCheck = 'ok' | 'malformed' | 'expired' | 'ahead';

export class PushHub {
  private readonly tailers = new Map<string, Promise<QueryTailer>>();
  /** The tailers that finished starting (stats count these). */
  private readonly started = new Set<QueryTailer>();
  private closing = false;
  /** Connections closed as slow consumers (a metric, and the slow-client test reads it). */
  dropped = 0;
  /** The longest outbox queue any ended connection had (shows the buffer bound holds). */
  peakQueued = 0;

  constructor(
    private readonly redis: Redis,
    private readonly registry: QueryRegistry,
    private readonly opts: HubOptions,
    private readonly log: Log,
    /** The process's stream watcher, on which idle tailers wait. */
    private readonly watcher: StreamWatcher,
  ) {}

  /** Subscribers and tailers in this process. */
  stats(): { tailers: number; subscribers: number; entriesRead: number } {
    let subscribers = 0;
    let entriesRead = 0;
    for (const t of this.started) {
      subscribers += t.subs.size;
      entriesRead += t.entriesRead;
    }
    return { tailers: this.started.size, subscribers, entriesRead };
  }


  /** Checks a `from` offset against what the changes streams still hold. */
  async checkOffset(def: QueryDefinition, from: string): Promise<OffsetCheck> {
    const ids = decodeOffset(from, def.partitions);
    if (!ids) return 'malformed';
    for (let p = 0; p < def.partitions; p++) {
      const k = keys.task(queryPartition(def, p), def.id).changes;
      // No changes stream yet (no commit so far) reads as empty.
      const info = (await this.redis.xInfoStream(k).catch(() => undefined)) as StreamInfo | undefined;
      const last = info?.['last-generated-id'] ?? '0-0';
      if (compareIds(ids[p]!, last) > 0) return 'ahead';
      if (!info) continue;
      // MAXLEN trimming does not move max-deleted-entry-id (only XDEL does): an offset before the
      // first retained entry of a stream that lost entries may have missed some of them.
      const trimmed = Number(info['entries-added']) > Number(info.length);
      const first = info['first-entry']?.id ?? last;
      if (trimmed && compareIds(ids[p]!, first) < 0) return 'expired';
      if (compareIds(ids[p]!, info['max-deleted-entry-id'] ?? '0-0') < 0) return 'expired';
    }
    return 'ok';
  }

  /**
   * Sends a snapshot then every change (or, with a valid `from`, every change after it), live.
   * Returns the subscriber, to pass to `unsubscribe`.
   */
  async subscribe(req: SubscribeRequest): Promise<Subscriber> {
    const { def, outbox, mux } = req;
    const query = mux ? def.id : undefined;
    let tailer = await this.tailer(def);
    // The last subscriber may have left (stopping it) while this one waited for it.
    while (!tailer.active) tailer = await this.tailer(def);
    // Joined before the snapshot is read, so no live entry can slip between snapshot and replay.
    const sub = new Subscriber(def.id, req.filter, outbox, mux, this.opts.hardLimit, req.onGone);
    tailer.subs.add(sub);
    try {
      let pos: string[] | undefined;
      if (req.from !== undefined) {
        const check = await this.checkOffset(def, req.from);
        if (check === 'ok') pos = decodeOffset(req.from, def.partitions);
        else outbox.push(errorMessage(check === 'expired' ? 'SG_ERR_OFFSET_EXPIRED' : 'SG_ERR_BAD_OFFSET', query));
      }
      if (!pos) {
        const reader = new ResultReader(this.redis, def, compiledQuery(def, this.opts.functions));
        const sent = await sendSnapshot(reader, { outbox, filter: req.filter, query, hold: (k) => sub.hold(k) }, this.opts.snapshotPageRows);
        // The connection closed while the snapshot was read: nothing more to send it.
        if (!sent) return sub;
        pos = sent.pos;
        sub.coverage = sent.coverage;
      }
      sub.pos = pos;
      await tailer.replay(sub);
    } catch (err) {
      this.unsubscribe(sub);
      throw err;
    }
    return sub;
  }

  unsubscribe(sub: Subscriber): void {
    void this.tailers.get(sub.queryId)?.then((t) => {
      t.detach(sub);
      // The last subscriber gone: stop tailing, so an idle process holds no connection per query.
      if (t.subs.size === 0 && this.tailers.get(sub.queryId)) {
        this.tailers.delete(sub.queryId);
        this.started.delete(t);
        void t.stop();
      }
    }, () => undefined);
  }

  private tailer(def: QueryDefinition): Promise<QueryTailer> {
    if (this.closing) return Promise.reject(new Error('the push hub is closing'));
    let t = this.tailers.get(def.id);
    if (!t) {
      const tailer = new QueryTailer(this.redis, this.watcher, def, { blockMs: this.opts.blockMs, count: this.opts.count, functions: this.opts.functions }, this.log, (tl, reason) => this.ended(tl, reason), async () => {
        const d = await this.registry.get(def.id);
        return d !== undefined && d.status !== 'deleting';
      });
      t = tailer.start().then(() => {
        this.started.add(tailer);
        return tailer;
      });
      // A failed start must not poison later subscriptions: forget it so the next one retries.
      t.catch(() => this.tailers.delete(def.id));
      this.tailers.set(def.id, t);
    }
    return t;
  }

  private ended(t: QueryTailer, reason: 'deleted' | 'stopped'): void {
    if (reason !== 'deleted') return;
    this.tailers.delete(t.def.id);
    this.started.delete(t);
    for (const sub of t.subs) sub.onGone();
    t.subs.clear();
    void t.stop();
  }

  async close(): Promise<void> {
    this.closing = true;
    const all = await Promise.allSettled([...this.tailers.values()]);
    this.tailers.clear();
    this.started.clear();
    await Promise.all(all.map((r) => (r.status === 'fulfilled' ? r.value.stop() : Promise.resolve())));
  }
}
