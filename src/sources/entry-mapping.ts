// An adopted stream's entry (field/value pairs written by another application) turned into an
// engine event: its fields as properties, typed by the stream's JSON Schema, or one field's JSON
// object; renames; event time by ingest's rules, or the entry id's milliseconds. An entry that
// cannot be mapped throws, and the task runner dead-letters it like any entry that fails.
import sjson from 'secure-json-parse';
import type { SourceEvent } from '../engine/index.js';
import type { Entry } from '../runtime/batch-reader.js';
import { readEventTime } from '../ingest/event-time.js';
import { readPath } from '../ingest/field-path.js';
import type { AdoptedSource } from './adopted-stream.js';

export type FieldType = 'number' | 'integer' | 'boolean' | 'object' | 'array';

/** What a query reads an adopted stream by: its source, with the field types the schema declared at registration. */
export interface AdoptedRead extends AdoptedSource {
  /** Property → declared type, for flat mapping; text properties are left out. */
  types?: Record<string, { type: FieldType; nullable: boolean }>;
}

/** How a task reads its entries: ours (`e`, `t`, `a`, `tp`) or an adopted stream's. */
export interface EntryFormat {
  toEvent: (e: Entry) => SourceEvent;
  /** When the entry reached Redis (ms), for end-to-end latency. */
  arrival: (e: Entry) => number | undefined;
  traceparent: (e: Entry) => string | undefined;
}

const TYPES = new Set<string>(['number', 'integer', 'boolean', 'object', 'array']);

/**
 * The non-text types the schema's top-level properties declare. A property with `x-sql-type`
 * (an exact DECIMAL) stays text: the query reads numeric text exactly, a double would not be.
 */
export function declaredFieldTypes(schema: Record<string, unknown> | undefined): AdoptedRead['types'] {
  const props = schema?.properties;
  if (props === null || typeof props !== 'object') return undefined;
  const types: NonNullable<AdoptedRead['types']> = {};
  for (const [name, raw] of Object.entries(props as Record<string, unknown>)) {
    if (raw === null || typeof raw !== 'object' || 'x-sql-type' in raw) continue;
    const declared = (raw as { type?: unknown }).type;
    const list = Array.isArray(declared) ? declared : [declared];
    const type = list.find((x): x is FieldType => typeof x === 'string' && TYPES.has(x));
    if (type) types[name] = { type, nullable: list.includes('null') };
  }
  return Object.keys(types).length > 0 ? types : undefined;
}

/** The milliseconds part of an entry id. */
export function entryIdMs(id: string): number {
  const dash = id.indexOf('-');
  return Number(dash < 0 ? id : id.slice(0, dash));
}

/** `map[key]` when it is the map's own (a field named `constructor` must not find Object's). */
function own<T>(map: Record<string, T> | undefined, key: string): T | undefined {
  return map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}

class MappingError extends Error {
  override name = 'MappingError';
}

/** JSON with `__proto__` or `constructor.prototype` refused, as ingest refuses them. */
function parseJson(text: string): unknown {
  return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
}

function typed(id: string, name: string, text: string, want: { type: FieldType; nullable: boolean }): unknown {
  if (text === '' && want.nullable) return null;
  const refuse = (): never => {
    throw new MappingError(`entry ${id}: field "${name}" is ${JSON.stringify(text.length > 100 ? text.slice(0, 100) + '…' : text)}, not ${want.type === 'integer' ? 'an' : 'a'} ${want.type} (the stream's schema)`);
  };
  switch (want.type) {
    case 'number':
    case 'integer': {
      const n = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(n) || (want.type === 'integer' && !Number.isInteger(n))) refuse();
      return n;
    }
    case 'boolean':
      if (text === 'true') return true;
      if (text === 'false') return false;
      return refuse();
    default: {
      let v: unknown;
      try {
        v = parseJson(text);
      } catch {
        refuse();
      }
      if (want.type === 'array' ? !Array.isArray(v) : v === null || typeof v !== 'object' || Array.isArray(v)) refuse();
      return v;
    }
  }
}

/** The event of one entry; throws MappingError when the entry cannot be one. */
export function mapEntry(src: AdoptedRead, e: Entry): SourceEvent {
  const pairs: [string, unknown][] = [];
  const add = (k: string, value: (name: string) => unknown) => {
    const name = own(src.mapping.rename, k) ?? k;
    if (name === '__proto__') throw new MappingError(`entry ${e.id}: a field named "__proto__" cannot be an event property`);
    pairs.push([name, value(name)]);
  };
  if (src.mapping.json !== undefined) {
    const text = e.message[src.mapping.json];
    if (text === undefined) throw new MappingError(`entry ${e.id} has no field "${src.mapping.json}" (the event's JSON)`);
    let parsed: unknown;
    try {
      parsed = parseJson(text);
    } catch (err) {
      throw new MappingError(`entry ${e.id}: field "${src.mapping.json}" is not JSON (${(err as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new MappingError(`entry ${e.id}: field "${src.mapping.json}" holds JSON but not an object`);
    for (const [k, v] of Object.entries(parsed)) add(k, () => v);
  } else {
    for (const [k, text] of Object.entries(e.message)) {
      add(k, (name) => {
        const want = own(src.types, name);
        return want ? typed(e.id, name, text, want) : text;
      });
    }
  }
  // Own properties only, whatever the names: never an assignment that could reach a prototype.
  const data = Object.fromEntries(pairs);
  let ts = entryIdMs(e.id);
  if (src.time !== 'entryId') {
    let value = readPath(data, src.time.field);
    // A flat field is text: digits are epoch milliseconds, as a JSON number is at ingest.
    if (typeof value === 'string' && /^\d{1,16}$/.test(value)) value = Number(value);
    const time = readEventTime(value);
    if (!time.ok) throw new MappingError(`entry ${e.id}: event time "${src.time.field}" ${time.message}`);
    // Absent: the entry id's time (Redis's clock when the producer let it pick the id), as ingest takes the arrival time.
    if (time.ms !== undefined) ts = time.ms;
  }
  return { id: e.id, ts, data };
}

/** The entry format of a query over an adopted stream. */
export function adoptedEntryFormat(src: AdoptedRead): EntryFormat {
  return {
    toEvent: (e) => mapEntry(src, e),
    // No arrival field: an auto-generated id is Redis's clock at the XADD.
    arrival: (e) => entryIdMs(e.id),
    traceparent: () => undefined,
  };
}

/**
 * What a query registered now over `stream` keeps of its adoption (spread into the definition):
 * the source, with the field types its schema declares, so a later PUT does not retype it.
 */
export function adoptedRead(stream: { source?: AdoptedSource | undefined; schema?: Record<string, unknown> | undefined }): { source?: AdoptedRead } {
  if (!stream.source) return {};
  const types = stream.source.mapping.json === undefined ? declaredFieldTypes(stream.schema) : undefined;
  return { source: { ...stream.source, ...(types ? { types } : {}) } };
}
