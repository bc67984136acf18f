// Sends events in batches, with a progress line on a terminal and retries that are safe to repeat.
import { randomUUID } from 'node:crypto';
import { request, StreamgateError } from '@streamgate/client';
import type { Connection } from './config.js';
import { describeProblem } from './errors.js';

export interface PosterOptions {
  stream: string;
  batchSize?: number;
  /** Where progress goes; a progress line is drawn only when it is a terminal. */
  progress?: NodeJS.WriteStream;
}

export interface PostSummary {
  stream: string;
  events: number;
  batches: number;
  seconds: number;
  rate: number;
}

/** A batch the gateway refused, with the index of its first event in the whole input. */
export class BatchRefused extends Error {
  constructor(readonly err: StreamgateError, readonly sent: number, lineOf: (index: number) => number | undefined) {
    const p = err.problem;
    const detail = describeProblem(p, sent);
    const lines = (p.errors ?? []).map((e) => (e.index === undefined ? undefined : lineOf(e.index)));
    super(`${detail}${lines.some((l) => l !== undefined) ? `\n  (input lines ${lines.filter((l) => l !== undefined).join(', ')})` : ''}\n${sent} event(s) before this batch were written; this batch was not.`);
  }
}

const RETRIES = 5;

export class Poster {
  private batch: { event: unknown; line: number }[] = [];
  private sent = 0;
  private batches = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  // One run id: each batch's Idempotency-Key is unique, and the same on its retries.
  private readonly run = randomUUID();

  constructor(private readonly conn: Connection, private readonly opts: PosterOptions) {}

  get count(): number {
    return this.sent;
  }

  async add(event: unknown, line = 0): Promise<void> {
    this.batch.push({ event, line });
    if (this.batch.length >= (this.opts.batchSize ?? 500)) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    const key = `${this.run}-${this.batches}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await requestWithKey(this.conn, this.opts.stream, batch.map((b) => b.event), key);
        break;
      } catch (err) {
        const status = err instanceof StreamgateError ? err.problem.status : 0;
        // Overload and rate limits pass; the Idempotency-Key makes a repeat write nothing twice.
        if ((status === 429 || status === 503 || status === 0) && attempt < RETRIES) {
          await new Promise((ok) => setTimeout(ok, 200 * 2 ** attempt));
          continue;
        }
        if (err instanceof StreamgateError) throw new BatchRefused(err, this.sent, (i) => batch[i]?.line);
        throw err;
      }
    }
    this.sent += batch.length;
    this.batches++;
    this.draw(false);
  }

  summary(): PostSummary {
    const seconds = (Date.now() - this.started) / 1000;
    return { stream: this.opts.stream, events: this.sent, batches: this.batches, seconds: Math.round(seconds * 1000) / 1000, rate: Math.round(this.sent / Math.max(seconds, 0.001)) };
  }

  /** Ends the progress line (a terminal only). */
  done(): void {
    this.draw(true);
    if (this.opts.progress?.isTTY && this.lastDraw > 0) this.opts.progress.write('\n');
  }

  private draw(force: boolean): void {
    const out = this.opts.progress;
    if (!out?.isTTY) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 250) return;
    this.lastDraw = now;
    const s = this.summary();
    out.write(`\r\x1b[K${s.events.toLocaleString('en')} events sent to ${s.stream}, ${s.rate.toLocaleString('en')} ev/s`);
  }
}

async function requestWithKey(conn: Connection, stream: string, events: unknown[], idempotencyKey: string): Promise<void> {
  // request() sends JSON; the Idempotency-Key travels through a fetch that adds the header.
  const withKey: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'idempotency-key': idempotencyKey } });
  try {
    await request(conn.apiKey ? { url: conn.url, apiKey: conn.apiKey, fetch: withKey } : { url: conn.url, fetch: withKey }, 'POST', `/v1/streams/${encodeURIComponent(stream)}/events`, events);
  } catch (err) {
    if (err instanceof StreamgateError) throw err;
    // A connection lost mid-request: retried like a 503.
    const cause = (err as Error & { cause?: { code?: string } }).cause?.code;
    throw new StreamgateError({ status: 0, code: 'NETWORK', detail: `cannot reach ${conn.url}${cause ? ` (${cause})` : ''}` });
  }
}
