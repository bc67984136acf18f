// A stream's stored configuration, and the checks that turn user input into one.
import { AppError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import { compileEventSchema } from '../ingest/event-schema.js';
import { declaredDecimals } from './declared-types.js';
import { compileProtobuf, type ProtobufConfig } from '../ingest/formats/protobuf.js';
import { partitionRef, spreadTags, type PartitionRef } from '../redis/placement.js';
import { adoptedTag, buildAdoptedSource, refuseWrites, type AdoptedSource, type AdoptedSourceInput } from '../sources/adopted-stream.js';

export interface StreamConfig {
  name: string;
  schema?: Record<string, unknown>;
  timeField: string;
  retention?: { maxLength?: number; maxAgeMs?: number };
  partitions: number;
  /** Each partition's hash tag, chosen when the partition count was set (placement.ts); absent: plain tags. */
  tags?: string[];
  partitionKey?: string;
  /** Entries past the retention go to Parquet files (src/archive) before they are trimmed. */
  archive?: boolean;
  /** An adopted stream: another application's Redis Stream, read by queries, never written (src/sources/). */
  source?: AdoptedSource;
  /** The .proto that decodes application/x-protobuf events, and its event message type. */
  protobuf?: ProtobufConfig;
  createdAt: string;
  /** Bumped on every change so caches (compiled schemas) know when to rebuild. */
  version: number;
}

export interface StreamConfigInput {
  schema?: Record<string, unknown>;
  timeField?: string;
  retention?: { maxLength?: number; maxAge?: number | string };
  partitions?: number;
  partitionKey?: string;
  source?: AdoptedSourceInput;
  archive?: boolean;
  protobuf?: ProtobufConfig;
}

// Not dots alone: `.` and `..` would name folders outside their own in the archive.
export const STREAM_NAME_RE = /^(?!\.+$)[A-Za-z0-9_.-]{1,128}$/;

/** The configuration a stream gets when its first event creates it. */
export function defaultStreamConfig(name: string, now: Date): StreamConfig {
  return { name, timeField: 'ts', partitions: 1, createdAt: now.toISOString(), version: 1 };
}

/**
 * Builds the config to store from a PUT body; `previous` keeps createdAt and the version line.
 * The OpenAPI schema has checked the shape already; this checks what a schema cannot.
 */
export function buildStreamConfig(name: string, input: StreamConfigInput, previous: StreamConfig | undefined, now: Date): StreamConfig {
  const config: StreamConfig = {
    name,
    timeField: input.timeField ?? 'ts',
    partitions: input.partitions ?? 1,
    createdAt: previous?.createdAt ?? now.toISOString(),
    version: (previous?.version ?? 0) + 1,
  };
  if (input.schema) {
    declaredDecimals(input.schema); // throws SG_ERR_BAD_SCHEMA naming a declared type we do not support
    compileEventSchema(input.schema); // and naming what else is wrong
    config.schema = input.schema;
  }
  // Tags never change while the partition count does not: the keys carry them. A stream from
  // before placement keeps its plain tags.
  if (previous && previous.partitions === config.partitions) {
    if (previous.tags) config.tags = previous.tags;
  } else if (config.partitions > 1) {
    config.tags = spreadTags(name, config.partitions);
  }
  if (input.partitionKey) config.partitionKey = input.partitionKey;
  if (input.archive) config.archive = true;
  if (input.protobuf) {
    compileProtobuf(input.protobuf); // throws SG_ERR_BAD_SCHEMA naming a .proto that does not compile or a missing type
    config.protobuf = { proto: input.protobuf.proto, message: input.protobuf.message };
  }
  if (input.source) {
    const adopted = buildAdoptedSource(input.source, input);
    config.source = adopted.source;
    config.timeField = adopted.timeField;
    // Its one partition's keys share the foreign key's slot (a choice that depends on the key only).
    config.tags = [adoptedTag(name, adopted.source.key)];
  }
  if (input.retention) {
    const retention: StreamConfig['retention'] = {};
    if (input.retention.maxLength !== undefined) retention.maxLength = input.retention.maxLength;
    if (input.retention.maxAge !== undefined) {
      const ms = parseDuration(input.retention.maxAge);
      if (ms === undefined || ms === 0) {
        throw new AppError('SG_ERR_VALIDATION', 'retention.maxAge must be a positive duration', {
          errors: [{ field: '/retention/maxAge', message: 'must be a positive duration such as "10m" or 600000' }],
        });
      }
      retention.maxAgeMs = ms;
    }
    if (retention.maxLength !== undefined || retention.maxAgeMs !== undefined) config.retention = retention;
  }
  return config;
}

/** What the API shows of a config (the internal version counter stays inside). */
export function publicStreamConfig(config: StreamConfig): Omit<StreamConfig, 'version'> {
  const { version: _version, ...rest } = config;
  return rest;
}

/** Partition `p` to write events to; refuses an adopted stream (read-only through the gateway). */
export function writablePartition(config: StreamConfig, p: number): PartitionRef {
  refuseWrites(config);
  return streamPartition(config, p);
}

/** Partition `p` as queries read it: an adopted stream's partition names the foreign key. */
export function readPartition(config: Pick<StreamConfig, 'name' | 'tags' | 'source'>, p: number): PartitionRef {
  const part = streamPartition(config, p);
  return config.source ? { ...part, source: config.source.key } : part;
}

/** Partition `p` of the stream, with the hash tag its keys carry (our keys only, even for an adopted stream). */
export function streamPartition(config: Pick<StreamConfig, 'name' | 'tags'>, p: number): PartitionRef {
  return partitionRef(config.name, config.tags, p);
}
