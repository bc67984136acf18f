// Runs one task (query × partition) while this process holds its lease: recover from the
// checkpoint, take over orphaned entries, then read → apply → one atomic commit per batch.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { createEngine } from '../engine/index.js';
import { EngineLimitError } from '../engine/index.js';
import { FunctionError } from '../functions/index.js';
import type { Engine, SourceEvent, ApplyResult, StateDelta } from '../engine/index.js';
import type { CompiledQuery } from '../sql/compile.js';
import type { Log } from '../util/logger.js';
import { engineOptions, type QueryDefinition, queryGroup, queryPartition } from './query-definition.js';
import { adoptedEntryFormat, type EntryFormat } from '../sources/entry-mapping.js';
import { ensureResultIndex, loadCheckpoint } from './checkpoint-store.js';
import { commitBatch, FencedError } from '../redis/functions/commit-batch.js';
import type { TaskKeys } from '../redis/keys.js';
import { failSpan, startChildSpan, startProcessSpan, traceparentOf } from '../telemetry/tracing.js';
import { SPANS } from '../telemetry/names.js';
import { telemetry } from '../telemetry/metrics.js';
import { recordEndToEnd } from '../telemetry/e2e.js';
import { context, trace, type Span } from '@opentelemetry/api';
import { sleep } from '../util/sleep.js';
import { BatchReader, type Entry } from './batch-reader.js';
import type { StreamWatcher } from '../redis/stream-watcher.js';
import { QueryTimeFollower } from './query-time.js';
import { backfillFor, type ArchiveBackfill } from '../archive/backfill.js';

export interface RunnerSettings {
  owner: string;
  batchSize: number;
  blockMs: number;
  maxDeliveries: number;
  resultRetentionMs: number;
  changesMaxLength: number;
  /** Test-only: wait a random 0..N ms before each commit. */
  testCommitDelayMs: number;
  /** ARCHIVE_DIR: where tasks of queries that start from the archive read it. */
  archiveDir?: string | undefined;
}

export interface RunnerHooks {
  /** The query itself cannot go on (a plugin threw, a limit was hit): fail it everywhere. */
  onQueryFailed: (queryId: string, error: Error) => void;
}


/** The largest arrival time in a batch (our entries carry it as `a`, Redis's clock at ingest). */
function newestArrival(entries: Entry[], arrival: EntryFormat['arrival']): number | undefined {
  let max: number | undefined;
  for (const e of entries) {
    const a = arrival(e);
    if (a !== undefined && Number.isFinite(a) && (max === undefined || a > max)) max = a;
  }
  return max;
}

const EMPTY: ApplyResult = { changes: [], late: [], closed: [] };

/** One commit: the entries it covers (none for an idle step or a dead-letter), what applying them gave. */
interface CommitStep {
  batch?: Entry[];
  result: ApplyResult;
  delta: StateDelta;
  dead?: { id: string; entry: string; error: string }[];
  parent?: Span;
  /** The offset to record when it is not the batch's last id (the end of a backfill). */
  offset?: string;
}

/** Turns a stream entry into an engine event; throws on an entry not written by our ingest. */
function toEvent(e: Entry): SourceEvent {
  const data = JSON.parse(e.message.e ?? '') as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error(`entry ${e.id} does not hold a JSON object`);
  const ts = Number(e.message.t);
  if (!Number.isFinite(ts)) throw new Error(`entry ${e.id} has no event time`);
  return { id: e.id, ts, data: data as Record<string, unknown> };
}

/** Entries our ingest wrote: event JSON `e`, event time `t`, arrival `a`, traceparent `tp`. */
const OWN_ENTRIES: EntryFormat = { toEvent, arrival: (e) => Number(e.message.a), traceparent: (e) => e.message.tp };

export class TaskRunner {
  readonly name: string;
  private readonly k: TaskKeys;
  private readonly source: string;
  /** The consumer group on `source`, and how its entries become events (an adopted stream's own way). */
  private readonly group: string;
  private readonly format: EntryFormat;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private engine: Engine | undefined;
  private committedMeta = '';
  private readonly batches: BatchReader;
  /** Set while the task still reads its query's archived entries (archive/backfill.ts), before its group. */
  private backfill: ArchiveBackfill | undefined;
  /**
   * The previous owner died mid-batch: while the entries it left pending are applied, Redis holds
   * an `applying` mark, so a second death inside apply counts toward quarantine (lease-acquire.lua).
   */
  private guarded: boolean;
  /** One partition of several with fixed windows: windows close on the query's watermark (query-time.ts). */
  private readonly time: QueryTimeFollower | undefined;

  constructor(
    private readonly redis: Redis,
    watcher: StreamWatcher,
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
    this.k = keys.task(queryPartition(def, partition), def.id);
    this.source = keys.events(queryPartition(def, partition));
    this.group = queryGroup(def);
    this.format = def.source ? adoptedEntryFormat(def.source) : OWN_ENTRIES;
    this.guarded = takeovers > 0;
    this.batches = new BatchReader(redis, watcher, this.source, { group: this.group, owner: s.owner, batchSize: s.batchSize, blockMs: s.blockMs }, () => (this.guarded = false));
    const w = compiled.plan.window;
    this.time = def.partitions > 1 && w !== undefined && w.kind !== 'session' ? new QueryTimeFollower(redis, def, compiled.plan, partition, log) : undefined;
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
    const ckpt = await loadCheckpoint(this.redis, this.k, this.compiled.plan);
    await ensureResultIndex(this.redis, this.k);
    const engine = createEngine(this.compiled.plan, { ...engineOptions(this.def), partial: this.time !== undefined });
    this.time?.reset();
    // A task that never committed has no meta yet: it starts from a fresh engine.
    if (ckpt.meta !== '') engine.load(ckpt.state, ckpt.meta);
    this.engine = engine;
    this.committedMeta = ckpt.meta;
    this.backfill = backfillFor(this.def.archive, this.s.archiveDir, this.def.stream, this.partition, ckpt.offset, this.s.batchSize);
    await this.batches.restart();
  }

  private async step(): Promise<void> {
    const backfill = this.backfill;
    if (!backfill) await this.batches.claimOrphans(false);
    const entries = backfill ? await backfill.next() : await this.batches.next();
    if (this.stopped) return;
    const engine = this.engine!;
    await this.time?.follow(engine);
    if (backfill && entries.length === 0) {
      // The archive is read: the offset moves to the group's start id, so a restart reads it no more.
      await this.commit({ result: EMPTY, delta: engine.takeDelta(), offset: backfill.until });
      this.backfill = undefined;
      return;
    }
    if (entries.length === 0) {
      const result = this.def.idleTimeoutMs === undefined ? EMPTY : engine.advanceIdle(Date.now());
      const delta = engine.takeDelta();
      if (result.changes.length || result.closed.length || delta.meta !== this.committedMeta || Object.keys(delta.set).length || delta.del.length || this.time?.final) {
        await this.commit({ result, delta });
      }
      return;
    }
    const span = startProcessSpan(this.def.id, this.def.stream, entries.map(this.format.traceparent));
    span.setAttribute('streamgate.partition', this.partition);
    try {
      let result: ApplyResult;
      const guarded = this.guarded;
      if (guarded) await this.redis.hSet(this.k.checkpoint, 'applying', this.s.owner);
      try {
        result = engine.apply(entries.map(this.format.toEvent));
        if (guarded) await this.redis.hDel(this.k.checkpoint, 'applying');
      } catch (err) {
        if (err instanceof FunctionError || err instanceof EngineLimitError) throw err;
        span.addEvent('batch failed; replaying entry by entry', { error: (err as Error).message });
        await this.processCarefully(entries, span, backfill !== undefined);
        return;
      }
      if (!backfill) this.batches.prefetch();
      await this.commit({ batch: entries, result, delta: engine.takeDelta(), parent: span });
      if (!backfill) this.observeLatency(entries);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** Ingest (arrival in Redis) to commit, per entry: the commit stage of end-to-end latency. */
  private observeLatency(entries: Entry[]): void {
    const now = Date.now();
    for (const e of entries) {
      const arrival = this.format.arrival(e);
      if (arrival !== undefined && Number.isFinite(arrival)) recordEndToEnd(this.def.id, 'commit', Math.max(0, now - arrival));
    }
  }

  /**
   * A batch failed for a reason other than the query's own: replay it one entry at a time from
   * the checkpoint, committing each, so that only a poison entry is held back. After
   * maxDeliveries deliveries it goes to the dead-letter stream instead of blocking the task.
   * An archived entry (`archived`: a backfill batch) is in no pending list to count deliveries by,
   * and is read from a file that never changes: one that fails to apply alone is dead-lettered at
   * once, with the offset moved past it so a restart does not read it again.
   */
  private async processCarefully(entries: Entry[], span: Span, archived: boolean): Promise<void> {
    await this.recover();
    for (const e of entries) {
      const engine = this.engine!;
      let applied = false;
      try {
        const result = engine.apply([this.format.toEvent(e)]);
        applied = true;
        await this.commit({ batch: [e], result, delta: engine.takeDelta(), parent: span });
      } catch (err) {
        if (err instanceof FunctionError || err instanceof EngineLimitError || err instanceof FencedError) throw err;
        // A failed commit says nothing about the entry: restart from the checkpoint and read it again.
        if (archived && applied) throw err;
        let deliveries: number | undefined;
        if (!archived) {
          const [info] = await this.redis.xPendingRange(this.source, this.group, e.id, e.id, 1);
          deliveries = Number(info?.deliveriesCounter ?? 1);
          if (deliveries < this.s.maxDeliveries) throw err;
        }
        this.log.warn({ task: this.name, entry: e.id, deliveries, archived, err: (err as Error).message }, 'poison entry moved to the dead-letter stream');
        await this.recover();
        await this.commit({ result: EMPTY, dead: [{ id: e.id, entry: JSON.stringify(e.message), error: (err as Error).message }], delta: this.engine!.takeDelta(), parent: span, ...(archived ? { offset: e.id } : {}) });
      }
    }
    // recover() placed the backfill at the checkpoint it read, before these entries.
    if (archived) await this.recover();
  }

  /** Commits `batch` (processed, acked, the offset moved past it) with its result and delta, atomically. */
  private async commit(c: CommitStep): Promise<void> {
    const { delta, parent } = c;
    let { result } = c;
    const dead = c.dead ?? [];
    const batch = c.batch ?? [];
    const ack = batch.map((e) => e.id);
    const processed = batch.length;
    const offset = c.offset ?? batch[batch.length - 1]?.id;
    const arrivalMs = newestArrival(batch, this.format.arrival);
    if (this.s.testCommitDelayMs > 0) await sleep(Math.random() * this.s.testCommitDelayMs);
    const span = parent ? startChildSpan(SPANS.commit(this.def.id), parent) : undefined;
    span?.setAttributes({ 'streamgate.changes': result.changes.length, 'streamgate.acked': ack.length, 'streamgate.late': result.late.length });
    const started = performance.now();
    const sealed = this.time?.sealed;
    const final = this.time?.final;
    if (final) result = { changes: [...final.result.changes, ...result.changes], late: result.late, closed: [...final.result.closed, ...result.closed] };
    try {
      const input = {
        owner: this.s.owner,
        epoch: this.epoch,
        group: this.group,
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
    this.time?.committed();
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
