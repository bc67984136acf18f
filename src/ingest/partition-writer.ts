// Groups the writes of concurrent requests to one stream partition into one ingest_events call:
// one Redis round trip (and one syscall each way) for every request read in the same I/O turn.
import type { Redis } from '../redis/client.js';
import { callFunction } from '../redis/functions.js';
import { keys } from '../redis/keys.js';
import type { PartitionRef } from '../redis/placement.js';
import type { PreparedEvent } from './validate-events.js';

export interface PartitionWrite {
  /** The stream partition written, with its hash tag. */
  part: PartitionRef;
  events: PreparedEvent[];
  /** '' without an Idempotency-Key. */
  fingerprint: string;
  idempotencyKey: string | undefined;
  traceparent: string | undefined;
  /** Who writes (the API key's label): Idempotency-Keys and event ids are theirs alone. */
  principal?: string | undefined;
}

// Another key's request with the same Idempotency-Key must not get this one's ids, nor its event
// with the same id be dropped: both are kept per principal (shared when auth is off).
const scoped = (principal: string | undefined, id: string): string => (principal === undefined ? id : `${principal}\u0000${id}`);

export type WriteOutcome =
  | { status: 'written' | 'replayed'; ids: string[] }
  | { status: 'backlog' }
  | { status: 'mismatch' };

interface Queued {
  write: PartitionWrite;
  done: (o: WriteOutcome) => void;
  fail: (err: unknown) => void;
}

/**
 * Requests this large go to Redis at once: grouping them would only serialise Redis work that
 * could overlap with Node's work on the next requests (measured: 100-event batches lost a third).
 */
const DIRECT_EVENTS = 32;
/** Events per grouped call, for the same reason. */
const MAX_EVENTS_PER_CALL = 256;

export class PartitionWriter {
  private readonly queues = new Map<string, Queued[]>();

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
    private readonly backlogLimit: number,
  ) {}

  write(w: PartitionWrite): Promise<WriteOutcome> {
    return new Promise((done, fail) => {
      if (w.events.length >= DIRECT_EVENTS) {
        void this.call([{ write: w, done, fail }]);
        return;
      }
      const id = keys.events(w.part);
      let queue = this.queues.get(id);
      if (!queue) {
        this.queues.set(id, (queue = []));
        // setImmediate runs after the poll phase: every request read in this I/O turn joins the call.
        setImmediate(() => this.flush(id));
      }
      queue.push({ write: w, done, fail });
    });
  }

  private flush(id: string): void {
    const queue = this.queues.get(id) ?? [];
    this.queues.delete(id);
    let start = 0;
    while (start < queue.length) {
      let end = start;
      let events = 0;
      while (end < queue.length && (end === start || events + queue[end]!.write.events.length <= MAX_EVENTS_PER_CALL)) {
        events += queue[end]!.write.events.length;
        end++;
      }
      void this.call(queue.slice(start, end));
      start = end;
    }
  }

  private async call(batch: Queued[]): Promise<void> {
    const first = batch[0]!.write;
    const fnKeys = [keys.events(first.part)];
    const args = [String(this.ttlMs), String(this.backlogLimit), String(batch.length)];
    for (const { write } of batch) {
      let recordIndex = 0;
      if (write.idempotencyKey !== undefined) {
        fnKeys.push(keys.idempotency(write.part, scoped(write.principal, write.idempotencyKey)));
        recordIndex = fnKeys.length;
      }
      args.push(write.fingerprint, String(recordIndex), write.traceparent ?? '', String(write.events.length));
      for (const ev of write.events) {
        let dedupeIndex = 0;
        if (ev.dedupeId !== undefined) {
          fnKeys.push(keys.eventId(write.part, scoped(write.principal, ev.dedupeId)));
          dedupeIndex = fnKeys.length;
        }
        args.push(String(dedupeIndex), ev.eventTime === undefined ? '' : String(ev.eventTime), ev.json);
      }
    }
    let reply: (string | number)[];
    try {
      reply = (await callFunction(this.redis, 'ingest_events', fnKeys, args)) as (string | number)[];
    } catch (err) {
      for (const q of batch) q.fail(err);
      return;
    }
    let pos = 0;
    for (const q of batch) {
      const status = Number(reply[pos]);
      const n = Number(reply[pos + 1]);
      const ids = reply.slice(pos + 2, pos + 2 + n).map(String);
      pos += 2 + n;
      if (status === 0) q.done({ status: 'written', ids });
      else if (status === 1) q.done({ status: 'replayed', ids });
      else if (status === -1) q.done({ status: 'backlog' });
      else q.done({ status: 'mismatch' });
    }
  }
}
