// The webhook sink, at least once: batches of changes POSTed with an HMAC signature; a failed POST
// is retried with exponential backoff and jitter, and after `maxAttempts` it is dead-lettered (kept
// in a Redis stream) so that one bad batch does not stop the rest. Every change carries its offset,
// which receivers use to drop a repeat; the batch's last offset is its Idempotency-Key.
import { createHmac, randomUUID } from 'node:crypto';
import type { Redis } from '../redis/client.js';
import type { SinkChange, SinkTarget, SnapshotPage } from './sink-target.js';
import type { SinkState } from './sink-state.js';
import type { WebhookSinkConfig } from './sink-config.js';

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_WAIT_MS = 30_000;

/** `sha256=<hex>` of `<timestamp>.<body>`: the receiver recomputes it with the shared secret. */
export function signature(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export class WebhookTarget implements SinkTarget {
  private closed = false;
  /** Ends a retry's wait and a POST in flight when the sink stops. */
  private readonly abort = new AbortController();
  /** Names the snapshot being sent, so that each of its POSTs has an Idempotency-Key of its own. */
  private snapshotId = '';

  constructor(
    private readonly config: WebhookSinkConfig,
    private readonly queryId: string,
    private readonly state: SinkState,
    private readonly redis: Redis,
    /** The dead-letter stream (keys.sink(...).dead). */
    private readonly deadKey: string,
  ) {}

  async open(): Promise<string | undefined> {
    return this.state.offset();
  }

  async snapshot(page: SnapshotPage): Promise<void> {
    if (page.first) this.snapshotId = randomUUID();
    for (let i = 0; i < Math.max(1, page.rows.length); i += this.config.batchSize) {
      const rows = page.rows.slice(i, i + this.config.batchSize);
      const last = page.last && i + this.config.batchSize >= page.rows.length;
      const key = last && page.offset ? page.offset : `snapshot-${this.snapshotId}-${rows[0]?.key ?? 'empty'}`;
      await this.deliver({ query: this.queryId, sink: this.config.name, type: 'snapshot', first: page.first && i === 0, last, ...(last && page.offset ? { offset: page.offset } : {}), rows }, key, rows.length);
    }
  }

  async changes(batch: SinkChange[]): Promise<void> {
    const chunks: SinkChange[][] = [];
    for (let i = 0; i < batch.length; i += this.config.batchSize) chunks.push(batch.slice(i, i + this.config.batchSize));
    // At most `concurrency` POSTs at once; the runner records the offset once all are done.
    let next = 0;
    const worker = async () => {
      while (next < chunks.length && !this.closed) {
        const changes = chunks[next++]!;
        await this.deliver({ query: this.queryId, sink: this.config.name, type: 'changes', changes }, changes[changes.length - 1]!.offset, changes.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.concurrency, chunks.length) }, worker));
  }

  /** POSTs until a 2xx or `maxAttempts`; then dead-letters the body. */
  private async deliver(payload: object, idempotencyKey: string, count: number): Promise<void> {
    const body = JSON.stringify(payload);
    let lastError = '';
    for (let attempt = 1; attempt <= this.config.maxAttempts; attempt++) {
      if (this.closed) throw new Error('the sink stopped');
      const timestamp = String(Date.now());
      const request = this.linked(REQUEST_TIMEOUT_MS);
      try {
        const res = await fetch(this.config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': idempotencyKey,
            'x-streamgate-timestamp': timestamp,
            'x-streamgate-signature': signature(this.config.secret, timestamp, body),
            'x-streamgate-attempt': String(attempt),
          },
          body,
          // A redirect is a failure: a signed body is not re-sent to wherever a 307 points.
          redirect: 'manual',
          signal: request.signal,
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        lastError = `HTTP ${res.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      } finally {
        request.done();
      }
      if (attempt < this.config.maxAttempts) {
        const wait = Math.min(MAX_WAIT_MS, this.config.retryBaseMs * 2 ** (attempt - 1));
        const pause = this.linked(wait / 2 + Math.random() * (wait / 2));
        await new Promise<void>((ok) => pause.signal.addEventListener('abort', () => ok(), { once: true }));
        pause.done();
      }
    }
    if (this.closed) throw new Error('the sink stopped');
    await this.redis.xAdd(this.deadKey, '*', { body, error: lastError, attempts: String(this.config.maxAttempts), at: String(Date.now()) });
    await this.state.deadLettered(count);
    await this.state.failed(`dead-lettered a batch of ${count} after ${this.config.maxAttempts} attempts: ${lastError}`);
  }

  /**
   * A signal that fires after `ms` or when the sink stops. `done()` unhooks it from the sink's own
   * signal: a long-running sink makes many, and each left hooked would stay for its lifetime.
   */
  private linked(ms: number): { signal: AbortSignal; done: () => void } {
    const ctrl = new AbortController();
    const stop = () => ctrl.abort();
    const timer = setTimeout(stop, ms);
    this.abort.signal.addEventListener('abort', stop, { once: true });
    if (this.abort.signal.aborted) stop();
    return {
      signal: ctrl.signal,
      done: () => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', stop);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
  }
}
