// One WebSocket ingest connection: `{"id","events"}` messages in, `ack`/`error` answers out, in
// message order. A bounded number of messages may wait; past it the socket is paused (TCP
// back-pressure reaches the producer) until answers go out, so a fast producer slows down
// instead of the gateway buffering without bound.
import type { WebSocket } from 'ws';
import { AppError, type FieldError } from '../errors.js';
import { parseJsonBody, type BodyLimits } from '../http/parse-body.js';
import type { IngestResult } from './ingest-service.js';

/** Messages received and not yet answered, per connection, before the socket stops being read. */
export const WS_INGEST_MAX_INFLIGHT = 16;
/**
 * Bytes of waiting messages past which the socket is paused too: sixteen messages of up to
 * BODY_LIMIT_BYTES each would otherwise be 160 MB per connection.
 */
export const WS_INGEST_MAX_QUEUED_BYTES = 8 << 20;
/** Answers a client has not read past which the next message waits for the socket to drain. */
const SEND_HIGH_WATER = 1 << 20;
const MAX_ID_LENGTH = 200;

export interface WsIngestDeps {
  /** Writes one message's events; the message id is its Idempotency-Key. */
  ingest(events: unknown[], messageId: string): Promise<IngestResult>;
  limits: BodyLimits;
  maxInflight: number;
  onInternalError(err: unknown): void;
}

export type WsIngestAnswer =
  | { type: 'ack'; id: string; ids: string[]; partitions?: number[]; replayed?: true }
  | { type: 'error'; id: string | null; code: string; message: string; errors?: FieldError[] };

/** Process-wide high-water marks, for tests and benchmarks to see that back-pressure holds. */
export const wsIngestStats = { maxInflight: 0, maxQueuedBytes: 0, pauses: 0 };

export class WsIngestSession {
  private readonly queue: { data: Buffer; isBinary: boolean }[] = [];
  private queuedBytes = 0;
  private pumping = false;
  private closed = false;
  private paused = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: WsIngestDeps,
  ) {
    socket.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    socket.on('close', () => {
      // Messages not started are not written: the client retries them by id after reconnecting.
      this.closed = true;
      this.queue.length = 0;
    });
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    this.queue.push({ data, isBinary });
    this.queuedBytes += data.length;
    // The one being written counts: it is in flight until its answer is sent.
    const inflight = this.queue.length + (this.pumping ? 1 : 0);
    if (inflight > wsIngestStats.maxInflight) wsIngestStats.maxInflight = inflight;
    if (this.queuedBytes > wsIngestStats.maxQueuedBytes) wsIngestStats.maxQueuedBytes = this.queuedBytes;
    if ((inflight >= this.deps.maxInflight || this.queuedBytes >= WS_INGEST_MAX_QUEUED_BYTES) && !this.paused) {
      this.paused = true;
      wsIngestStats.pauses++;
      this.socket.pause();
    }
    if (!this.pumping) void this.pump();
  }

  /** One message at a time: a connection's events reach the stream in the order it sent them. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const { data, isBinary } = this.queue.shift()!;
        this.queuedBytes -= data.length;
        const answer = await this.handle(data, isBinary);
        if (this.closed) return;
        const sent = new Promise<void>((ok) => this.socket.send(JSON.stringify(answer), () => ok()));
        // A client that does not read its acks is not sent more (nor read) until it does.
        if (this.socket.bufferedAmount > SEND_HIGH_WATER) await sent;
        if (this.paused && this.queue.length < this.deps.maxInflight / 2 && this.queuedBytes < WS_INGEST_MAX_QUEUED_BYTES / 2) {
          this.paused = false;
          this.socket.resume();
        }
      }
    } finally {
      this.pumping = false;
    }
    if (this.paused && !this.closed) {
      this.paused = false;
      this.socket.resume();
    }
  }

  async handle(data: Buffer, isBinary: boolean): Promise<WsIngestAnswer> {
    let id: string | null = null;
    try {
      if (isBinary) throw new AppError('SG_ERR_MALFORMED_BODY', 'send each message as a text frame holding JSON: {"id": "...", "events": [...]}');
      const msg = parseJsonBody(data.toString('utf8'), this.deps.limits);
      // A message with bad events still gets its own id back, so the client knows which one.
      const claimed = (msg as { id?: unknown } | null)?.id;
      if (typeof claimed === 'string' && claimed.length <= MAX_ID_LENGTH) id = claimed;
      const shape = messageShape(msg);
      id = shape.id;
      const result = await this.deps.ingest(shape.events, shape.id);
      return { type: 'ack', id, ids: result.ids, ...(result.partitions ? { partitions: result.partitions } : {}), ...(result.replayed ? { replayed: true as const } : {}) };
    } catch (err) {
      if (err instanceof AppError) return { type: 'error', id, code: err.code, message: err.message, ...(err.extra.errors?.length ? { errors: err.extra.errors } : {}) };
      this.deps.onInternalError(err);
      return { type: 'error', id, code: 'SG_ERR_INTERNAL', message: 'an internal error occurred; retry the message with the same id' };
    }
  }
}

function messageShape(msg: unknown): { id: string; events: unknown[] } {
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    throw new AppError('SG_ERR_VALIDATION', 'a message is a JSON object: {"id": "<message id>", "events": [...]}', { errors: [{ field: '', message: 'must be an object' }] });
  }
  const { id, events } = msg as { id?: unknown; events?: unknown };
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new AppError('SG_ERR_VALIDATION', `a message needs an "id": a string of 1 to ${MAX_ID_LENGTH} characters, unique per API key for IDEMPOTENCY_TTL (it is the message's Idempotency-Key)`, { errors: [{ field: '/id', message: 'must be a non-empty string' }] });
  }
  if (events === null || typeof events !== 'object') {
    throw new AppError('SG_ERR_VALIDATION', 'a message needs "events": an event object or an array of them', { errors: [{ field: '/events', message: 'must be an object or an array' }] });
  }
  return { id, events: Array.isArray(events) ? (events as unknown[]) : [events] };
}
