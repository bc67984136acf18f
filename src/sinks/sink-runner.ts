// Runs one sink of one query: follows the query's changes like a live subscriber (a snapshot, or
// exact resume from the offset the target holds), hands them to the target in order, and starts
// over from the target's own offset after any failure, with backoff.
import type { PushHub } from '../push/hub.js';
import { Outbox, type Sink } from '../push/outbox.js';
import type { Subscriber } from '../push/subscriber.js';
import type { QueryDefinition } from '../runtime/query-definition.js';
import type { Log } from '../util/logger.js';
import type { SinkChange, SinkTarget } from './sink-target.js';
import type { SinkState } from './sink-state.js';

type Message =
  | { type: 'snapshot'; rows: Record<string, unknown>[]; keys: string[]; final?: boolean[]; last: boolean; offset?: string }
  | ({ type: 'change' } & SinkChange)
  | { type: 'error'; code: string; message: string }
  | { type: 'heartbeat' | 'unsubscribed' };

/** Messages handed over at once to the target at most. */
const MAX_BATCH = 2_000;

/**
 * The outbox's end of a sink: frames wait here until the target has them, and `bufferedBytes`
 * holds the outbox back meanwhile, so a slow target slows the feed instead of filling memory.
 */
class TargetPipe implements Sink {
  private readonly waiting: { messages: Message[]; bytes: number; written: () => void }[] = [];
  private buffered = 0;
  /** The pump under way, if any. */
  private pumping: Promise<void> | undefined;
  private failed = false;
  private firstPage = true;

  constructor(
    private readonly target: SinkTarget,
    private readonly onApplied: (changes: number, offset: string | undefined) => void,
    private readonly onFailure: (err: Error) => void,
  ) {}

  bufferedBytes(): number {
    return this.buffered;
  }

  /** Stops taking frames and resolves once the batch being applied (if any) has finished. */
  async halt(): Promise<void> {
    this.failed = true;
    await this.pumping;
  }

  send(frame: string | Buffer, written: () => void): void {
    const text = typeof frame === 'string' ? frame : frame.toString('utf8');
    const parsed = JSON.parse(text) as Message | Message[];
    this.waiting.push({ messages: Array.isArray(parsed) ? parsed : [parsed], bytes: text.length, written });
    this.buffered += text.length;
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  close(_code: number, reason: string): void {
    this.fail(new Error(`the feed closed: ${reason}`));
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.onFailure(err);
  }

  private async pump(): Promise<void> {
    if (this.failed) return;
    try {
      while (this.waiting.length && !this.failed) {
        const frames = this.waiting.splice(0, this.waiting.length);
        const messages = frames.flatMap((f) => f.messages);
        await this.apply(messages);
        for (const f of frames) {
          this.buffered -= f.bytes;
          f.written();
        }
      }
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** Consecutive changes go to the target as one batch; snapshot pages one by one. */
  private async apply(messages: Message[]): Promise<void> {
    let run: SinkChange[] = [];
    const flush = async () => {
      for (let i = 0; i < run.length; i += MAX_BATCH) {
        const batch = run.slice(i, i + MAX_BATCH);
        await this.target.changes(batch);
        this.onApplied(batch.length, batch[batch.length - 1]!.offset);
      }
      run = [];
    };
    for (const m of messages) {
      if (m.type === 'change') {
        run.push({ op: m.op, key: m.key, row: m.row, offset: m.offset, final: m.final });
      } else if (m.type === 'snapshot') {
        await flush();
        await this.target.snapshot({ rows: m.rows.map((row, i) => ({ key: m.keys[i]!, row, final: m.final?.[i] ?? false })), first: this.firstPage, last: m.last, ...(m.offset ? { offset: m.offset } : {}) });
        this.firstPage = m.last;
        if (m.last) this.onApplied(0, m.offset);
      } else if (m.type === 'error' && m.code !== 'SG_ERR_OFFSET_EXPIRED') {
        throw new Error(`${m.code}: ${m.message}`);
      }
      // An expired offset is followed by a fresh snapshot, which replaces what the target holds.
    }
    await flush();
  }
}

export interface RunnerDeps {
  hub: PushHub;
  log: Log;
  state: SinkState;
  /** Backoff after a failure: doubling from min to max (ms). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export class SinkRunner {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    readonly def: QueryDefinition,
    readonly sinkName: string,
    private readonly makeTarget: () => SinkTarget,
    private readonly deps: RunnerDeps,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const min = this.deps.retryMinMs ?? 250;
    let delay = min;
    while (!this.stopped) {
      const began = Date.now();
      const err = await this.once();
      if (this.stopped) break;
      // A session that ran a while was healthy: the next failure starts the backoff afresh.
      if (Date.now() - began > 30_000) delay = min;
      await this.deps.state.failed(err.message);
      this.deps.log.warn({ query: this.def.id, sink: this.sinkName, err: err.message, retryInMs: delay }, 'sink failed; resuming from its offset');
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, delay * (0.5 + Math.random()));
        this.wake = () => {
          clearTimeout(timer);
          ok();
        };
      });
      delay = Math.min(delay * 2, this.deps.retryMaxMs ?? 10_000);
    }
  }

  /** One delivery session: until the target fails, the feed ends, or the runner stops. */
  private async once(): Promise<Error> {
    const target = this.makeTarget();
    let subscribing: Promise<Subscriber | undefined> | undefined;
    let outbox: Outbox | undefined;
    let pipe: TargetPipe | undefined;
    try {
      const from = await target.open();
      // stop() may have come while the target was opening (its wake had nothing to end yet).
      if (this.stopped) return new Error('stopped');
      const ended = new Promise<Error>((resolve) => {
        pipe = new TargetPipe(target, (n, offset) => void this.deps.state.delivered(n, offset), resolve);
        // No conflation: every change reaches the target. Past the hard limit the feed closes and
        // the runner starts over from the target's offset (the changes stream still holds them).
        outbox = new Outbox(pipe, { soft: Number.MAX_SAFE_INTEGER, hard: 100_000, highWaterBytes: 4 << 20, batch: true, maxBatch: 1_000 }, (reason) => resolve(new Error(`fell behind: ${reason}`)));
        this.wake = () => resolve(new Error('stopped'));
        if (this.stopped) return resolve(new Error('stopped'));
        subscribing = this.deps.hub.subscribe({ def: this.def, from, filter: [], outbox, mux: false, onGone: () => resolve(new Error('the query was deleted')) }).catch((err: unknown) => {
          resolve(err as Error);
          return undefined;
        });
      });
      await this.deps.state.running(from);
      return await ended;
    } catch (err) {
      return err as Error;
    } finally {
      // Closed first, so that a snapshot still being read ends and the subscription settles.
      outbox?.close();
      const sub = await subscribing;
      if (sub) this.deps.hub.unsubscribe(sub);
      // The batch being applied finishes before the target closes: a snapshot transaction must not
      // be rolled back under a statement still on its way (which would then run on its own).
      await pipe?.halt();
      await target.close().catch(() => undefined);
    }
  }
}
