// Events per second per API key on every process together (QUOTA_EVENTS_PER_SECOND): a token
// bucket in Redis (quota-events.lua). A batch is let in whole while the bucket is not empty, and
// the requests after it wait out what it overdrew.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { callFunction } from '../redis/functions.js';
import { AppError } from '../errors.js';

export class IngestQuota {
  constructor(
    private readonly redis: Redis,
    /** 0: off (no round trip). */
    private readonly eventsPerSecond: number,
  ) {}

  /** Off: the ingest path skips the call (and its await) altogether. */
  get enabled(): boolean {
    return this.eventsPerSecond > 0;
  }

  /** Takes `events` from `label`'s bucket, or throws 429 with the wait in Retry-After. */
  async take(label: string, events: number): Promise<void> {
    if (this.eventsPerSecond <= 0) return;
    const waitMs = Number(await callFunction(this.redis, 'quota_events', [keys.quotaEvents(label)], [String(events), String(this.eventsPerSecond)]));
    if (waitMs > 0) {
      throw new AppError('SG_ERR_QUOTA_EXCEEDED', `this API key ingests at most ${this.eventsPerSecond} events per second on all processes (QUOTA_EVENTS_PER_SECOND); retry in ${Math.ceil(waitMs / 1000)} s`, { retryAfterSeconds: Math.ceil(waitMs / 1000) });
    }
  }
}
