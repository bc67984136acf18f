// An adopted stream: a Redis Stream another application writes with XADD, registered as a
// streamgate stream without changing its producer. Queries read its key through consumer groups of
// their own; the gateway never writes, trims or deletes it (its retention is the owner's).
import { AppError } from '../errors.js';
import { tagInSlotOf } from '../redis/placement.js';

/** How an entry becomes an event, and where its event time comes from (entry-mapping.ts). */
export interface AdoptedSource {
  /** The Redis key of the stream (on a Redis Cluster: one partition, in that key's slot). */
  key: string;
  mapping: {
    /** The field whose value is the event's JSON object; absent: each field is a property (text, typed by the schema). */
    json?: string;
    /** Top-level names to change: entry field (or JSON property) → event property. */
    rename?: Record<string, string>;
  };
  /** Event time: the entry id's milliseconds, or a property of the mapped event (the stream's timeField). */
  time: 'entryId' | { field: string };
}

export interface AdoptedSourceInput {
  key: string;
  mapping?: { json?: string; rename?: Record<string, string> };
  time?: 'entryId' | { field: string };
}

/** The settings of a stream config that an adopted source constrains. */
export interface AdoptionContext {
  timeField?: string | undefined;
  partitions?: number | undefined;
  partitionKey?: string | undefined;
  retention?: unknown;
}

function invalid(field: string, message: string): AppError {
  return new AppError('SG_ERR_VALIDATION', `source: ${message}`, { errors: [{ field, message }] });
}

/**
 * Checks a PUT body's `source` against the rest of the body; returns the source to store and the
 * stream's time field (the time field of `time: {field}`, else the body's or `ts`).
 */
export function buildAdoptedSource(input: AdoptedSourceInput, ctx: AdoptionContext): { source: AdoptedSource; timeField: string } {
  // Our own keys are not for adoption: reading them through a second name would bypass their rules.
  if (input.key.startsWith('sg:')) throw invalid('/source/key', `"${input.key}" is a streamgate key (sg:…); adopt the other application's key`);
  if ((ctx.partitions ?? 1) !== 1) throw invalid('/partitions', 'an adopted stream is one Redis key, so one partition: partitions must be 1');
  if (ctx.partitionKey !== undefined) throw invalid('/partitionKey', 'an adopted stream has one partition: it takes no partitionKey');
  if (ctx.retention !== undefined) throw invalid('/retention', "an adopted stream's retention is its owner's business: the gateway never trims it");
  const rename = input.mapping?.rename ?? {};
  const targets = new Set<string>();
  for (const [from, to] of Object.entries(rename)) {
    if (from === to) continue;
    if (targets.has(to)) throw invalid('/source/mapping/rename', `two fields are renamed to "${to}"`);
    targets.add(to);
  }
  const time = input.time ?? 'entryId';
  let timeField = ctx.timeField ?? 'ts';
  if (time !== 'entryId') {
    // The window column is the stream's time field (checkWindowColumn): one name for both.
    if (ctx.timeField !== undefined && ctx.timeField !== 'ts' && ctx.timeField !== time.field) {
      throw invalid('/timeField', `timeField "${ctx.timeField}" differs from source.time.field "${time.field}"; give one of them`);
    }
    timeField = time.field;
  }
  const mapping: AdoptedSource['mapping'] = {};
  if (input.mapping?.json !== undefined) mapping.json = input.mapping.json;
  if (Object.keys(rename).length > 0) mapping.rename = rename;
  return { source: { key: input.key, mapping, time: time === 'entryId' ? 'entryId' : { field: time.field } }, timeField };
}

/**
 * The hash tag of the adopted stream's partition: a tag of its own (never the foreign key's, which
 * another adopted stream may share) whose slot is the foreign key's, so that a task's keys and the
 * source stream are in one slot and commit-batch.lua may XACK beside the checkpoint on a cluster.
 */
export function adoptedTag(stream: string, key: string): string {
  return tagInSlotOf(`${stream}#0`, key);
}

/** Refuses a write to an adopted stream: its producer writes its key, the gateway only reads it. */
export function refuseWrites(config: { name: string; source?: AdoptedSource | undefined }): void {
  if (!config.source) return;
  throw new AppError(
    'SG_ERR_CONFLICT',
    `stream "${config.name}" is adopted from the Redis stream "${config.source.key}" and is read-only through the gateway: its own application writes to that key (XADD)`,
  );
}
