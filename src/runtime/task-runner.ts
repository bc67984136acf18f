// Runs one task (query × partition) while this process holds its lease: recover from the
// checkpoint, take over orphaned entries, then read → apply → one atomic commit per batch.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { createEngine } from '../engine/query-engine.js';
import { EngineLimitError } from '../engine/errors.js';
import { FunctionError } from '../sql/errors.js';
import type { Engine, SourceEvent, ApplyResult } from '../engine/types.js';
import type { CompiledQuery } from '../sql/compile.js';
import type { Log } from '../util/logger.js';
import { engineOptions, type QueryDefinition } from './query-definition.js';
import { commitBatch, ensureResultIndex, FencedError, loadCheckpoint, type TaskKeys } from './checkpoint-store.js';
import { failSpan, startChildSpan, startProcessSpan, traceparentOf } from '../telemetry/tracing.js';
import { SPANS } from '../telemetry/names.js';
import { telemetry } from '../telemetry/metrics.js';
import { recordEndToEnd } from '../telemetry/e2e.js';
import { context, trace, type Span } from '@opentelemetry/api';
import { sleep } from '../util/sleep.js';
import { collectSealed, partitionTimes, queryWatermark, removeSealed, sealedEverywhere } from './query-time.js';

// How often a partition of a multi-partition query reads the others' watermarks.
const QUERY_TIME_EVERY_MS = 100;

export interface RunnerSettings {
  owner: string;
  batchSize: number;
  blockMs: number;
  maxDeliveries: number;
  resultRetentionMs: number;
  changesMaxLength: number;
  /** Test-only: wait a random 0..N ms before each commit. */
  testCommitDelayMs: number;
}

export interface RunnerHooks {
  /** The query itself cannot go on (a plugin threw, a limit was hit): fail it everywhere. */
  onQueryFailed: (queryId: string, error: Error) => void;
}

interface Entry {
  id: string;
  message: Record<string, string>;
}

/** The largest arrival time in a batch (entries carry it as `a`, Redis's clock at ingest). */
function newestArrival(entries: Entry[]): number | undefined {
  let max: number | undefined;
  for (const e of entries) {
    const a = Number(e.message.a);
    if (Number.isFinite(a) && (max === undefined || a > max)) max = a;
  }
  return max;
}

const EMPTY: ApplyResult = { changes: [], late: [], closed: [] };

/** Turns a stream entry into an engine event; throws on an entry not written by our ingest. */
function toEvent(e: Entry): SourceEvent {
  const data = JSON.parse(e.message.e ?? '') as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error(`entry ${e.id} does not hold a JSON object`);
  const ts = Number(e.message.t);
  if (!Number.isFinite(ts)) throw new Error(`entry ${e.id} has no event time`);
  return { id: e.id, ts, data: data as Record<string, unknown> };
}

export class TaskRunner {
  readonly name: string;
  private readonly k: TaskKeys;
  private readonly source: string;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private engine: Engine | undefined;
  private committedMeta = '';
  /** Re-read this consumer's pending list before new entries (after recovery or a takeover). */
  private readPending = true;
  /** The next batch of new entries, read while the previous batch's commit runs. */
  private prefetched: Promise<Entry[]> | undefined;
  private lastOrphanCheck = 0;
  /**
   * The previous owner died mid-batch: while the entries it left pending are applied, Redis holds
   * an `applying` mark, so a second death inside apply counts toward quarantine (lease-acquire.lua).
   */
  private guarded: boolean;
  /** One partition of several with fixed windows: windows close on the query's watermark (query-time.ts). */
  private readonly partial: boolean;
  private lastQueryTime = 0;
  /** Groups sealed since the last commit, and (partition 0) final rows to emit, with the partials they consumed. */
  private sealedOut: Record<string, string> = {};
  private finalOut: { result: ApplyResult; done: string[][] } | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly reader: Redis,
    readonly def: QueryDefinition,
    readonly partition: number,
    readonly epoch: number,
    takeovers: number,
    private readonly compiled: CompiledQuery,
    private readonly s: RunnerSettings,
    private readonly hooks: RunnerHooks,
    private readonly log: Log,
  ) {
    this.name = `${def.id}/${partition}`;
    this.k = keys.task(def.stream, partition, def.id);
    this.source = keys.events(def.stream, partition);
    this.guarded = takeovers > 0;
    const w = compiled.plan.window;
    this.partial = def.partitions > 1 && w !== undefined && w.kind !== 'session';
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops after the current batch; the caller releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.recover();
        failures = 0;
        while (!this.stopped) await this.step();
      } catch (err) {
        if (err instanceof FencedError) {
          this.log.warn({ task: this.name, epoch: this.epoch }, 'lease lost: commit refused (FENCED); stopping this task');
          break;
        }
        if (err instanceof FunctionError || err instanceof EngineLimitError) {
          this.hooks.onQueryFailed(this.def.id, err);
          break;
        }
        failures++;
        telemetry().taskRestarts.add(1, { query: this.def.id });
        const delay = Math.min(100 * 2 ** failures, 5_000);
        this.log.warn({ task: this.name, err: (err as Error).message, retryInMs: delay }, 'task failed; restarting from its checkpoint');
        await sleep(delay);
      }
    }
    this.stopped = true;
    this.engine = undefined;
  }

  /** Rebuilds the engine from the checkpoint: the in-memory state must equal what Redis holds. */
  private async recover(): Promise<void> {
    const ckpt = await loadCheckpoint(this.redis, this.k);
    await ensureResultIndex(this.redis, this.k);
    const engine = createEngine(this.compiled.plan, { ...engineOptions(this.def), partial: this.partial });
    this.sealedOut = {};
    this.finalOut = undefined;
    this.lastQueryTime = 0;
    // A task that never committed has no meta yet: it starts from a fresh engine.
    if (ckpt.meta !== '') engine.load(ckpt.state, ckpt.meta);
    this.engine = engine;
    this.committedMeta = ckpt.meta;
    this.readPending = true;
    // A batch read before a failure stays in our pending list, which is read next, in id order.
    this.prefetched = undefined;
    await this.claimOrphans(true);
  }

  /**
   * Entries pending for another consumer were delivered to an owner that lost its lease; they
   * were never committed (the commit acks atomically), so they are ours to process.
   */
  private async claimOrphans(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastOrphanCheck < 1_000) return;
    this.lastOrphanCheck = now;
    const summary = await this.redis.xPending(this.source, this.def.id);
    const others = (summary.consumers ?? []).filter((c) => String(c.name) !== this.s.owner);
    if (others.length === 0) return;
    let cursor = '0-0';
    do {
      const r = await this.redis.xAutoClaimJustId(this.source, this.def.id, this.s.owner, 0, cursor, { COUNT: 1000 });
      cursor = String(r.nextId);
    } while (cursor !== '0-0');
    this.readPending = true;
  }

  private async read(): Promise<Entry[]> {
    if (this.readPending) {
      const r = await this.reader.xReadGroup(this.def.id, this.s.owner, { key: this.source, id: '0' }, { COUNT: this.s.batchSize });
      const msgs = (r?.[0]?.messages ?? []) as Entry[];
      if (msgs.length > 0) return msgs;
      this.readPending = false;
      this.guarded = false;
    }
    return this.readNew();
  }

  private async readNew(): Promise<Entry[]> {
    const r = await this.reader.xReadGroup(this.def.id, this.s.owner, { key: this.source, id: '>' }, { COUNT: this.s.batchSize, BLOCK: this.s.blockMs });
    return (r?.[0]?.messages ?? []) as Entry[];
  }

  /**
   * Starts reading the next new entries while this batch commits (on the runner's own connection).
   * Only when reading new entries: the pending list still holds this batch until its commit acks it.
   */
  private prefetch(): void {
    if (this.readPending) return;
    const next = this.readNew();
    next.catch(() => undefined); // awaited by the next step, or dropped with a failed commit
    this.prefetched = next;
  }

  private async nextBatch(): Promise<Entry[]> {
    const prefetched = this.prefetched;
    this.prefetched = undefined;
    if (prefetched) {
      const entries = await prefetched;
      if (!this.readPending) return entries;
      // Orphans were claimed meanwhile: the pending list holds them and these, read in id order.
    }
    return this.read();
  }

  private async step(): Promise<void> {
    await this.claimOrphans(false);
    const entries = await this.nextBatch();
    if (this.stopped) return;
    const engine = this.engine!;
    await this.followQueryTime(engine);
    if (entries.length === 0) {
      const result = this.def.idleTimeoutMs === undefined ? EMPTY : engine.advanceIdle(Date.now());
      const delta = engine.takeDelta();
      if (result.changes.length || result.closed.length || delta.meta !== this.committedMeta || Object.keys(delta.set).length || delta.del.length || this.finalOut) {
        await this.commit(undefined, 0, [], result, [], delta);
      }
      return;
    }
    const span = startProcessSpan(this.def.id, this.def.stream, entries.map((e) => e.message.tp));
    span.setAttribute('streamgate.partition', this.partition);
    try {
      let result: ApplyResult;
      const guarded = this.guarded;
      if (guarded) await this.redis.hSet(this.k.checkpoint, 'applying', this.s.owner);
      try {
        result = engine.apply(entries.map(toEvent));
        if (guarded) await this.redis.hDel(this.k.checkpoint, 'applying');
      } catch (err) {
        if (err instanceof FunctionError || err instanceof EngineLimitError) throw err;
        span.addEvent('batch failed; replaying entry by entry', { error: (err as Error).message });
        await this.processCarefully(entries, span);
        return;
      }
      this.prefetch();
      await this.commit(entries[entries.length - 1]!.id, entries.length, entries.map((e) => e.id), result, [], engine.takeDelta(), span, newestArrival(entries));
      this.observeLatency(entries);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /**
   * Partitions of a multi-partition query: seal the windows the query's watermark has passed (their
   * partials go to this partition's sealed hash in the next commit), and on partition 0 turn the
   * partials every partition has sealed into final rows, emitted by the next commit with the new
   * `finalized` horizon in the same meta: exactly once, whoever dies when.
   */
  private async followQueryTime(engine: Engine): Promise<void> {
    if (!this.partial) return;
    const now = Date.now();
    if (now - this.lastQueryTime < QUERY_TIME_EVERY_MS) return;
    this.lastQueryTime = now;
    const committed = await partitionTimes(this.redis, this.def);
    const times = committed.slice();
    // Our own time as it will be committed with this step.
    times[this.partition] = { wm: engine.watermark, idle: engine.idle, sealed: engine.sealed };
    Object.assign(this.sealedOut, engine.seal(queryWatermark(times)));
    if (this.partition !== 0 || this.finalOut) return;
    // Only what every partition has committed as sealed: those partials can no longer change.
    const upTo = sealedEverywhere(committed);
    if (!(upTo > engine.finalized)) return;
    const { groups, done } = await collectSealed(this.redis, this.def, this.compiled.plan, engine.finalized, upTo);
    this.finalOut = { result: engine.finalRows(groups), done };
    engine.finalized = upTo;
  }

  /** Ingest (arrival in Redis) to commit, per entry: the commit stage of end-to-end latency. */
  private observeLatency(entries: Entry[]): void {
    const now = Date.now();
    for (const e of entries) {
      const arrival = Number(e.message.a);
      if (Number.isFinite(arrival)) recordEndToEnd(this.def.id, 'commit', Math.max(0, now - arrival));
    }
  }

  /**
   * A batch failed for a reason other than the query's own: replay it one entry at a time from
   * the checkpoint, committing each, so that only a poison entry is held back. After
   * maxDeliveries deliveries it goes to the dead-letter stream instead of blocking the task.
   */
  private async processCarefully(entries: Entry[], span: Span): Promise<void> {
    await this.recover();
    for (const e of entries) {
      const engine = this.engine!;
      try {
        const result = engine.apply([toEvent(e)]);
        await this.commit(e.id, 1, [e.id], result, [], engine.takeDelta(), span);
      } catch (err) {
        if (err instanceof FunctionError || err instanceof EngineLimitError || err instanceof FencedError) throw err;
        const [info] = await this.redis.xPendingRange(this.source, this.def.id, e.id, e.id, 1);
        const deliveries = Number(info?.deliveriesCounter ?? 1);
        if (deliveries < this.s.maxDeliveries) throw err;
        this.log.warn({ task: this.name, entry: e.id, deliveries, err: (err as Error).message }, 'poison entry moved to the dead-letter stream');
        await this.recover();
        await this.commit(undefined, 0, [], EMPTY, [{ id: e.id, entry: JSON.stringify(e.message), error: (err as Error).message }], this.engine!.takeDelta(), span);
      }
    }
  }

  private async commit(offset: string | undefined, processed: number, ack: string[], result: ApplyResult, dead: { id: string; entry: string; error: string }[], delta: ReturnType<Engine['takeDelta']>, parent?: Span, arrivalMs?: number): Promise<void> {
    if (this.s.testCommitDelayMs > 0) await sleep(Math.random() * this.s.testCommitDelayMs);
    const span = parent ? startChildSpan(SPANS.commit(this.def.id), parent) : undefined;
    span?.setAttributes({ 'streamgate.changes': result.changes.length, 'streamgate.acked': ack.length, 'streamgate.late': result.late.length });
    const started = performance.now();
    const sealed = this.sealedOut;
    const final = this.finalOut;
    if (final) result = { changes: [...final.result.changes, ...result.changes], late: result.late, closed: [...final.result.closed, ...result.closed] };
    try {
      const input = {
        owner: this.s.owner,
        epoch: this.epoch,
        group: this.def.id,
        offset,
        processed,
        delta,
        ack,
        result,
        dead,
        nowMs: Date.now(),
        resultRetentionMs: this.s.resultRetentionMs,
        changesMaxLength: this.s.changesMaxLength,
        watermark: this.engine!.watermark,
        traceparent: traceparentOf(parent),
        arrivalMs,
        sealed,
      };
      // Inside the commit span's context, so the Redis FCALL span is its child.
      await (span ? context.with(trace.setSpan(context.active(), span), () => commitBatch(this.redis, this.k, this.source, input)) : commitBatch(this.redis, this.k, this.source, input));
    } catch (err) {
      // Whether or not Redis applied it, the engine is ahead of what we know is committed:
      // the caller restarts from the checkpoint.
      this.engine = undefined;
      failSpan(span, err);
      throw err;
    } finally {
      span?.end();
    }
    this.sealedOut = {};
    this.finalOut = undefined;
    if (final) {
      removeSealed(this.redis, this.def, final.done, new Set(final.result.closed.map((c) => c.key))).catch((err: unknown) => {
        // Left for the next pass: collectSealed skips and removes partials already emitted.
        this.log.debug({ task: this.name, err: (err as Error).message }, 'could not remove merged partials');
      });
    }
    const t = telemetry();
    const attrs = { query: this.def.id };
    t.commitDuration.record(performance.now() - started, attrs);
    if (processed > 0) {
      t.eventsProcessed.add(processed, attrs);
      t.batchSize.record(processed, attrs);
    }
    if (result.late.length) t.eventsLate.add(result.late.length, attrs);
    if (dead.length) t.eventsDeadLettered.add(dead.length, attrs);
    this.committedMeta = delta.meta;
    this.recordRate(processed);
  }

  private rateWindowStart = Date.now();
  private rateCount = 0;

  /** Throughput for the status API: a statistic beside the checkpoint, not part of it. */
  private recordRate(processed: number): void {
    this.rateCount += processed;
    const now = Date.now();
    if (now - this.rateWindowStart < 1_000) return;
    const rate = Math.round((this.rateCount * 1_000) / (now - this.rateWindowStart));
    this.rateWindowStart = now;
    this.rateCount = 0;
    this.redis.hSet(this.k.checkpoint, { rate: String(rate), rateAt: String(now) }).catch(() => {
      // A statistic only: losing one reading is harmless.
    });
  }
}
