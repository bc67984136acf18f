// HTTP events → validated, idempotent, atomic XADD per stream partition.
import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import type { Redis } from '../redis/client.js';
import { AppError } from '../errors.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import { writablePartition, type StreamConfig } from '../streams/stream-config.js';
import { compileEventSchema } from './event-schema.js';
import { prepareEvents, type PreparedEvent } from './validate-events.js';
import { PartitionWriter, type WriteOutcome } from './partition-writer.js';
import { choosePartition, fnv1a } from './partitioner.js';
import { toRedisError } from '../redis/redis-errors.js';

export interface IngestOptions {
  strictStreams: boolean;
  maxEventsPerRequest: number;
  idempotencyTtlMs: number;
  streamMaxBacklog: number;
}

export interface IngestRequest {
  stream: string;
  events: unknown[];
  idempotencyKey: string | undefined;
  traceparent: string | undefined;
  /** The API key's label (undefined with auth off): idempotency and event ids are per principal. */
  principal?: string | undefined;
}

export interface IngestResult {
  ids: string[];
  /** On a partitioned stream, the partition each id went to (ids are per partition stream). */
  partitions?: number[];
  /** True when the answer repeats an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

/** Appends events; answers only after Redis holds them. */
export class IngestService {
  private readonly schemas = new Map<string, { version: number; validate: ValidateFunction }>();
  private readonly writer: PartitionWriter;

  constructor(
    redis: Redis,
    private readonly registry: StreamRegistry,
    private readonly opts: IngestOptions,
  ) {
    this.writer = new PartitionWriter(redis, opts.idempotencyTtlMs, opts.streamMaxBacklog);
  }

  private validatorFor(config: StreamConfig): ValidateFunction | undefined {
    if (!config.schema) return undefined;
    const hit = this.schemas.get(config.name);
    if (hit && hit.version === config.version) return hit.validate;
    const validate = compileEventSchema(config.schema);
    this.schemas.set(config.name, { version: config.version, validate });
    return validate;
  }

  /** The stream's config; for a stream not created yet (strict mode off), the one a first write will create. */
  private async configFor(stream: string): Promise<{ config: StreamConfig; stored: boolean }> {
    const config = await this.registry.get(stream);
    if (config) return { config, stored: true };
    if (!this.opts.strictStreams) return { config: this.registry.provisional(stream), stored: false };
    throw new AppError('SG_ERR_STREAM_NOT_FOUND', `stream "${stream}" does not exist and strict mode is on; create it with PUT /v1/streams/${stream}`);
  }

  async ingest(req: IngestRequest): Promise<IngestResult> {
    if (req.events.length === 0) {
      throw new AppError('SG_ERR_BAD_EVENTS', 'the request holds no events', { errors: [{ field: '', message: 'at least one event is required' }] });
    }
    if (req.events.length > this.opts.maxEventsPerRequest) {
      throw new AppError('SG_ERR_TOO_MANY_EVENTS', `${req.events.length} events in one request; the limit is ${this.opts.maxEventsPerRequest}`);
    }
    try {
      const cached = this.registry.cached(req.stream);
      const resolved = cached ? { config: cached, stored: true } : await this.configFor(req.stream);
      let config = resolved.config;
      const prepare = (c: StreamConfig) => prepareEvents(req.events, { timeField: c.timeField, partitionKey: c.partitionKey, validate: this.validatorFor(c) });
      let prepared = prepare(config);
      if (!resolved.stored) {
        // The events are valid for a new stream: only now is it created (a refused request writes
        // nothing). Should another process have created it first, with other rules, check again.
        const created = await this.registry.getOrCreate(req.stream);
        if (created.timeField !== config.timeField || created.partitionKey !== config.partitionKey || JSON.stringify(created.schema) !== JSON.stringify(config.schema)) prepared = prepare(created);
        config = created;
      }
      const fingerprint = req.idempotencyKey === undefined ? '' : createHash('sha256').update(prepared.map((e) => e.json).join('\n')).digest('base64url');
      const write = (partition: number, events: PreparedEvent[]) =>
        this.writer.write({ part: writablePartition(config, partition), events, fingerprint, idempotencyKey: req.idempotencyKey, traceparent: req.traceparent, principal: req.principal });
      if (config.partitions === 1) {
        const outcome = checked(await write(0, prepared));
        return { ids: outcome.ids, replayed: req.idempotencyKey !== undefined && outcome.status === 'replayed' };
      }
      const seed = req.idempotencyKey === undefined ? Math.floor(Math.random() * 0x7fffffff) : fnv1a(req.idempotencyKey);
      const byPartition = new Map<number, { indexes: number[]; events: PreparedEvent[] }>();
      prepared.forEach((ev, i) => {
        const p = choosePartition(config.partitions, i, seed, ev.partitionValue, ev.dedupeId);
        let group = byPartition.get(p);
        if (!group) byPartition.set(p, (group = { indexes: [], events: [] }));
        group.indexes.push(i);
        group.events.push(ev);
      });
      const ids = new Array<string>(prepared.length);
      const partitions = new Array<number>(prepared.length);
      let replayed = true;
      await Promise.all(
        [...byPartition].map(async ([partition, group]) => {
          const outcome = checked(await write(partition, group.events));
          if (outcome.status === 'written') replayed = false;
          group.indexes.forEach((idx, j) => {
            ids[idx] = outcome.ids[j]!;
            partitions[idx] = partition;
          });
        }),
      );
      return { ids, partitions, replayed: req.idempotencyKey !== undefined && replayed };
    } catch (err) {
      throw toRedisError(err);
    }
  }
}

/** The ids of a write, or the error its refusal means. */
function checked(outcome: WriteOutcome): { status: 'written' | 'replayed'; ids: string[] } {
  if (outcome.status === 'backlog') {
    throw new AppError('SG_ERR_OVERLOADED', 'the stream has too many unconsumed entries (STREAM_MAX_BACKLOG); retry later', { retryAfterSeconds: 5 });
  }
  if (outcome.status === 'mismatch') {
    throw new AppError('SG_ERR_IDEMPOTENCY_MISMATCH', 'this Idempotency-Key was first used with different events; use a new key for a new request');
  }
  return outcome;
}
