// Tails one query's changes streams for this process, fanned out to every local subscriber of the
// query, whichever process owns its tasks. Reads do not block: they go to the shared client (one
// XREAD over every partition on one Redis, one per partition on a cluster, whose partitions live
// in their own slots), and an empty read waits on the process's stream watcher, so the number of
// Redis connections does not grow with the number of tailed queries.
import type { Redis } from '../redis/client.js';
import { isCluster } from '../redis/topology.js';
import type { StreamWatcher, Watch } from '../redis/stream-watcher.js';
import { keys } from '../redis/keys.js';
import type { Log } from '../util/logger.js';
import { type QueryDefinition, queryPartition } from '../runtime/query-definition.js';
import { ChangeEntry } from './change-entry.js';
import { compareIds } from '../util/stream-ids.js';
import type { Subscriber } from './subscriber.js';
import { PartitionMerger } from './merge.js';
import type { FunctionRegistry } from '../functions/index.js';
import { recordEndToEnd } from '../telemetry/e2e.js';
import { startPushSpan } from '../telemetry/tracing.js';

export interface TailerOptions {
  /** XREAD BLOCK time; also how often the loop notices it was stopped or the query deleted. */
  blockMs: number;
  /** Entries per XREAD and per replay XRANGE. */
  count: number;
  functions: FunctionRegistry;
}

type StreamReply = { name: string; messages: { id: string; message: Record<string, string> }[] };

/**
 * One push span per commit (its changes share the process span's `tp`) linked to that span, and
 * the push-stage end-to-end latency from the commit's newest arrival time (`a`).
 */
function observe(queryId: string, messages: StreamReply['messages'], subscribers: number): void {
  const now = Date.now();
  let tp: string | undefined;
  let arrival: string | undefined;
  let n = 0;
  const flush = () => {
    if (n === 0) return;
    if (arrival) recordEndToEnd(queryId, 'push', now - Number(arrival));
    startPushSpan(queryId, tp, { 'streamgate.changes': n, 'streamgate.subscribers': subscribers }).end();
  };
  for (const m of messages) {
    if (m.message.tp !== tp || m.message.a !== arrival) {
      flush();
      tp = m.message.tp;
      arrival = m.message.a;
      n = 0;
    }
    n++;
  }
  flush();
}

export class QueryTailer {
  readonly subs = new Set<Subscriber>();
  /** Last id read per partition: every later entry reaches every live subscriber. */
  private pos: string[] = [];
  private readonly streams: string[];
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  /** Resolved by stop(): ends a wait on the watcher at once. */
  private stopping!: () => void;
  private readonly stopped = new Promise<void>((ok) => (this.stopping = ok));
  /** Entries read by the loops are handled one read at a time, in the order read. */
  private handling: Promise<void> = Promise.resolve();
  private lastCheck = Date.now();
  /** Why the loops ended, for onEnd. */
  private ended: 'deleted' | 'stopped' = 'stopped';
  /** Entries read from Redis (each once, whatever the subscriber count). */
  entriesRead = 0;
  /** Present for queries over several partitions, whose changes carry partial rows. */
  private readonly merger: PartitionMerger | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly watcher: StreamWatcher,
    readonly def: QueryDefinition,
    private readonly opts: TailerOptions,
    private readonly log: Log,
    /** Called when the loop stops for good (query deleted or Redis error it cannot recover from). */
    private readonly onEnd: (tailer: QueryTailer, reason: 'deleted' | 'stopped') => void,
    private readonly exists: () => Promise<boolean>,
  ) {
    this.streams = Array.from({ length: def.partitions }, (_, p) => keys.task(queryPartition(def, p), def.id).changes);
    this.merger = def.partitions > 1 ? new PartitionMerger(redis, def, opts.functions) : undefined;
  }

  /** Starts at the current end of every changes stream. */
  async start(): Promise<void> {
    this.pos = await Promise.all(this.streams.map(async (k) => (await this.redis.xRevRange(k, '+', '-', { COUNT: 1 }))?.[0]?.id ?? '0-0'));
    this.running = true;
    this.loop = this.run();
    void this.loop.then(() => this.onEnd(this, this.ended));
  }

  /**
   * For a subscriber already in `subs` (so live entries wait in it) and positioned at `sub.pos`:
   * replays (pos, tailer position] from the changes streams, then lets the waiting entries
   * through. The subscriber drops any id at or before its position, so the seam has neither
   * gap nor duplicate.
   */
  async replay(sub: Subscriber): Promise<void> {
    const upto = [...this.pos];
    for (let p = 0; p < this.streams.length; p++) {
      let cur = sub.pos[p]!;
      while (compareIds(cur, upto[p]!) < 0 && !sub.outbox.isClosed && this.subs.has(sub)) {
        const chunk = (await this.redis.xRange(this.streams[p]!, `(${cur}`, upto[p]!, { COUNT: this.opts.count })) ?? [];
        if (chunk.length === 0) break;
        const read = chunk.map((m) => new ChangeEntry(p, m.id, m.message.c ?? '{}'));
        for (const e of this.merger ? await this.merger.resolve(read) : read) sub.deliver(e);
        cur = chunk[chunk.length - 1]!.id;
        // A long replay is paced by the reader (a resuming client, a sink catching up) instead of
        // being queued whole: what waits stays about one read's worth.
        if (sub.outbox.size > this.opts.count) await sub.outbox.drained();
      }
    }
    sub.goLive();
  }

  /** False once stopped: a subscriber must not join it (the hub starts a new one). */
  get active(): boolean {
    return this.running;
  }

  detach(sub: Subscriber): void {
    this.subs.delete(sub);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping();
    await this.loop;
  }

  /** Entries after each partition's position, read without blocking (undefined: none). */
  private async readNow(): Promise<StreamReply[] | undefined> {
    const at = (p: number) => ({ key: this.streams[p]!, id: this.pos[p]! });
    // node-redis types an XREAD reply as `any` (RESP2 and RESP3 differ); this is its RESP3 shape.
    const replies: (StreamReply[] | null)[] = isCluster(this.redis)
      ? await Promise.all(this.streams.map((_, p) => this.redis.xRead([at(p)], { COUNT: this.opts.count }) as Promise<StreamReply[] | null>))
      : [(await this.redis.xRead(this.streams.map((_, p) => at(p)), { COUNT: this.opts.count }))];
    const all = replies.flatMap((r) => r ?? []).filter((s) => s.messages.length > 0);
    return all.length ? all : undefined;
  }

  /** Reads while there is something to read, else waits on a watch from the current positions. */
  private async run(): Promise<void> {
    let watch: Watch | undefined;
    while (this.running) {
      try {
        if (!watch?.armed) {
          const res = await this.readNow();
          if (res) {
            watch = undefined;
            const job = this.handling.then(() => this.handle(res));
            this.handling = job.catch(() => {});
            await job;
            continue;
          }
          // From the positions just read up to: anything after them fires the watch.
          watch = await this.watcher.watch(this.streams, [...this.pos]);
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([watch.fired, this.stopped, new Promise<void>((ok) => (timer = setTimeout(ok, this.opts.blockMs)))]);
        clearTimeout(timer);
        if (Date.now() - this.lastCheck > this.opts.blockMs * 4) {
          this.lastCheck = Date.now();
          if (!(await this.exists())) {
            this.ended = 'deleted';
            this.running = false;
            return;
          }
        }
      } catch (err) {
        if (!this.running) break;
        watch = undefined;
        // Redis went away or the slot moved: node-redis reconnects; retry after a pause rather than spin.
        this.log.warn({ err: (err as Error).message, query: this.def.id }, 'changes tailer read failed; retrying');
        await new Promise((ok) => setTimeout(ok, 250));
      }
    }
  }

  /** Merges (several partitions) and offers one read's entries to every subscriber. */
  private async handle(reply: StreamReply[]): Promise<void> {
    for (const s of reply) {
      const p = this.streams.indexOf(s.name);
      const read = s.messages.map((m) => new ChangeEntry(p, m.id, m.message.c ?? '{}'));
      if (read.length === 0) continue;
      const entries = this.merger ? await this.merger.resolve(read) : read;
      this.pos[p] = entries[entries.length - 1]!.id;
      this.entriesRead += entries.length;
      // Built at most once, for all subscribers that take the shared frame.
      let shared: Buffer | undefined;
      const frame = () => (shared ??= Buffer.from(`[${entries.map((e) => e.frame(e.id)).join(',')}]`));
      for (const sub of this.subs) sub.offerAll(entries, frame);
      observe(this.def.id, s.messages, this.subs.size);
    }
  }
}
