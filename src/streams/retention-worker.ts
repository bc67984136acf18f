// Applies each stream's retention periodically, never dropping unacknowledged entries (see trim-stream.lua).
import type { Log } from '../util/logger.js';
import type { Redis } from '../redis/client.js';
import { callFunction } from '../redis/functions.js';
import { keys } from '../redis/keys.js';
import type { StreamRegistry } from './stream-registry.js';
import { streamPartition, type StreamConfig } from './stream-config.js';

/** Entries examined per partition per pass for the length limit: bounds the time one call holds Redis. */
const SCAN_CAP = 10_000;

/** Trims one stream's partitions; returns the number of entries removed. */
export async function trimStream(redis: Redis, config: StreamConfig, nowMs: number): Promise<number> {
  const r = config.retention;
  if (!r || (r.maxLength === undefined && r.maxAgeMs === undefined)) return 0;
  let removed = 0;
  for (let p = 0; p < config.partitions; p++) {
    const ageCut = r.maxAgeMs === undefined ? '' : `${Math.max(0, nowMs - r.maxAgeMs)}-0`;
    removed += Number(await callFunction(redis, 'trim_stream', [keys.events(streamPartition(config, p))], [String(r.maxLength ?? 0), ageCut, String(SCAN_CAP)]));
  }
  return removed;
}

/** Runs trimStream over every stream every `intervalMs`. Idempotent, so every process may run it. */
export class RetentionWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly redis: Redis,
    private readonly registry: StreamRegistry,
    private readonly intervalMs: number,
    private readonly log: Log,
  ) {}

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.pass(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass over all streams; overlapping passes are skipped. */
  async pass(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let removed = 0;
    try {
      for (const config of await this.registry.list()) removed += await trimStream(this.redis, config, Date.now());
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'retention pass failed; will retry');
    } finally {
      this.running = false;
    }
    return removed;
  }
}
