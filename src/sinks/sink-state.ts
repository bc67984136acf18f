// Each sink's progress in Redis, written by the process running it and read by any process for
// the query's status: delivered offset, counts, the last error.
import type { Redis } from '../redis/client.js';

export interface SinkStatus {
  name: string;
  type: string;
  state: 'starting' | 'running' | 'retrying';
  offset: string | null;
  delivered: number;
  deadLettered: number;
  lastError: string | null;
  lastErrorAt: string | null;
  lastDeliveryAt: string | null;
  owner: string | null;
}

export class SinkState {
  constructor(
    private readonly redis: Redis,
    /** The sink's hash (keys.sink). */
    readonly key: string,
    private readonly owner: string,
  ) {}

  async running(from: string | undefined): Promise<void> {
    await this.redis.hSet(this.key, { state: 'running', owner: this.owner, ...(from ? { offset: from } : {}) }).catch(() => 0);
  }

  async delivered(changes: number, offset: string | undefined): Promise<void> {
    const at = String(Date.now());
    await this.redis.multi()
      .hSet(this.key, { state: 'running', lastDeliveryAt: at, ...(offset ? { offset } : {}) })
      .hIncrBy(this.key, 'delivered', changes)
      .exec()
      .catch(() => undefined);
  }

  async deadLettered(changes: number): Promise<void> {
    await this.redis.hIncrBy(this.key, 'deadLettered', changes).catch(() => 0);
  }

  async failed(message: string): Promise<void> {
    await this.redis.hSet(this.key, { state: 'retrying', lastError: message.slice(0, 500), lastErrorAt: String(Date.now()) }).catch(() => 0);
  }

  /** The webhook sink's own offset (PostgreSQL keeps its offset in its own table). */
  async offset(): Promise<string | undefined> {
    return (await this.redis.hGet(this.key, 'offset')) ?? undefined;
  }
}

export async function readSinkStatus(redis: Redis, key: string, name: string, type: string): Promise<SinkStatus> {
  const h = await redis.hGetAll(key);
  const time = (v: string | undefined) => (v ? new Date(Number(v)).toISOString() : null);
  return {
    name,
    type,
    state: (h.state as SinkStatus['state'] | undefined) ?? 'starting',
    offset: h.offset ?? null,
    delivered: Number(h.delivered ?? 0),
    deadLettered: Number(h.deadLettered ?? 0),
    lastError: h.lastError ?? null,
    lastErrorAt: time(h.lastErrorAt),
    lastDeliveryAt: time(h.lastDeliveryAt),
    owner: h.owner ?? null,
  };
}
