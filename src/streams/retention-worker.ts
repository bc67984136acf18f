// Applies each stream's retention periodically, never dropping unacknowledged entries (see trim-stream.lua).
import type { Log } from '../util/logger.js';
import type { Redis } from '../redis/client.js';
import { callFunction } from '../redis/functions.js';
import { keys } from '../redis/keys.js';
import type { StreamRegistry } from './stream-registry.js';
import { streamPartition, type StreamConfig } from './stream-config.js';
import { queryPartition, type QueryDefinition } from '../runtime/query-definition.js';
import type { QueryRegistry } from '../runtime/query-registry.js';
import type { Archiver } from '../archive/archiver.js';

/** Entries examined per partition per pass for the length limit: bounds the time one call holds Redis. */
const SCAN_CAP = 10_000;

/**
 * Trims one stream's partitions; returns the number of entries removed. The `detached` queries
 * (failed, or paused longer than RETENTION_DETACH_PAUSED) do not hold the trim back: what they
 * had not read is recorded as a gap in their checkpoints instead (trim-stream.lua).
 */
export async function trimStream(redis: Redis, config: StreamConfig, nowMs: number, detached: QueryDefinition[] = [], archiver?: Archiver): Promise<number> {
  const r = config.retention;
  if (!r || (r.maxLength === undefined && r.maxAgeMs === undefined)) return 0;
  const ageCut = r.maxAgeMs === undefined ? '' : `${Math.max(0, nowMs - r.maxAgeMs)}-0`;
  // A query registered before a partition-count change has other keys: it is not detached here.
  const mine = detached.filter((q) => q.stream === config.name && q.partitions === config.partitions);
  let removed = 0;
  for (let p = 0; p < config.partitions; p++) {
    const checkpoints = mine.map((q) => keys.task(queryPartition(q, p), q.id).checkpoint);
    // An archived stream is trimmed only up to its last archived entry (src/archive/archiver.ts).
    const archivedUpTo = archiver ? await archiver.beforeTrim(config, p, nowMs) : config.archive ? ((await redis.get(keys.archived(streamPartition(config, p)))) ?? '0-0') : '';
    removed += Number(await callFunction(redis, 'trim_stream', [keys.events(streamPartition(config, p)), ...checkpoints], [String(r.maxLength ?? 0), ageCut, String(SCAN_CAP), archivedUpTo, ...mine.map((q) => q.id)]));
  }
  return removed;
}

/** Queries that no longer hold their stream's retention back. */
export function detachedQueries(queries: QueryDefinition[], nowMs: number, detachPausedMs: number): QueryDefinition[] {
  return queries.filter((q) => q.status === 'failed' || (q.status === 'paused' && detachPausedMs > 0 && q.pausedAt !== undefined && nowMs - q.pausedAt >= detachPausedMs));
}

/** Runs trimStream over every stream every `intervalMs`. Idempotent, so every process may run it. */
export class RetentionWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly redis: Redis,
    private readonly registry: StreamRegistry,
    private readonly queries: QueryRegistry,
    private readonly s: { intervalMs: number; detachPausedMs: number },
    private readonly log: Log,
    /** Writes archived streams' entries to Parquet before they are trimmed. */
    private readonly archiver?: Archiver,
  ) {}

  start(): void {
    if (this.timer || this.s.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.pass(), this.s.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass under way, so that nothing archives after shutdown. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    while (this.running) await new Promise((ok) => setTimeout(ok, 10));
  }

  /** One pass over all streams; overlapping passes are skipped. */
  async pass(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let removed = 0;
    try {
      const now = Date.now();
      const detached = detachedQueries(await this.queries.list(), now, this.s.detachPausedMs);
      for (const config of await this.registry.list()) {
        // One stream's failure (its archive folder full or unwritable) must not stop the others'
        // retention: Redis memory would grow for every stream.
        try {
          removed += await trimStream(this.redis, config, now, detached, this.archiver);
        } catch (err) {
          this.log.warn({ stream: config.name, err: (err as Error).message }, 'retention of a stream failed; will retry');
        }
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'retention pass failed; will retry');
    } finally {
      this.running = false;
    }
    return removed;
  }
}
