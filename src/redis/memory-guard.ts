// Sheds ingest load before Redis runs out of memory: polls INFO memory, refuses writes over the threshold.
import type { Redis } from './client.js';
import { primaryClients } from './topology.js';
import { AppError } from '../errors.js';

/** Polls Redis memory use; `check()` throws 503 while it is over the threshold. */
export class MemoryGuard {
  private usedBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly maxBytes: number,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    if (this.maxBytes <= 0 || this.timer) return;
    const poll = async () => {
      try {
        // On a cluster, the fullest primary: writes spread over all of them.
        const used = await Promise.all((await primaryClients(this.redis)).map(async (node) => Number(/used_memory:(\d+)/.exec(await node.info('memory'))?.[1] ?? 0)));
        this.usedBytes = Math.max(0, ...used);
      } catch {
        // Unreachable Redis is reported by the request that needs it; keep the last reading.
      }
    };
    void poll();
    this.timer = setInterval(() => void poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  check(): void {
    if (this.maxBytes > 0 && this.usedBytes >= this.maxBytes) {
      throw new AppError('SG_ERR_OVERLOADED', 'Redis memory is over the configured threshold; retry later', { retryAfterSeconds: 5 });
    }
  }
}
