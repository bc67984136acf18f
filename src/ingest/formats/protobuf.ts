// application/x-protobuf bodies, decoded with the .proto registered on the stream (PUT
// /v1/streams/{stream} with `protobuf: {proto, message}`) into the plain values a JSON body gives.
import protobuf from 'protobufjs';
import { AppError, type FieldError } from '../../errors.js';
import type { BodyLimits } from '../../http/parse-body.js';
import type { StreamConfig } from '../../streams/stream-config.js';
import { DeferredEvents } from './deferred.js';

export interface ProtobufConfig {
  /** The .proto source text (no imports: every type it uses is in it). */
  proto: string;
  /** The fully qualified message type of one event, e.g. `shop.Order`. */
  message: string;
}

const MAX_REPORTED = 20;
const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const FLOATS = new Set(['float', 'double']);
// Longs as exact decimal text first, made numbers below when a double holds them exactly; enums by
// name; bytes as base64; zero values present (proto3 does not send them, JSON users expect them).
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true };

const badProto = (field: string, message: string) => new AppError('SG_ERR_BAD_SCHEMA', `protobuf: ${message}`, { errors: [{ field, message }] });

/** Compiles a stream's .proto and finds its event type; throws SG_ERR_BAD_SCHEMA naming the problem. */
export function compileProtobuf(cfg: ProtobufConfig): protobuf.Type {
  let root: protobuf.Root;
  try {
    // Field names as written: events carry the names the .proto declares.
    root = protobuf.parse(cfg.proto, { keepCase: true }).root;
    root.resolveAll();
  } catch (err) {
    throw badProto('/protobuf/proto', `the .proto does not compile: ${(err as Error).message}`);
  }
  const found = root.lookup(cfg.message.replace(/^\./, ''));
  if (!(found instanceof protobuf.Type)) {
    const known = listTypes(root).slice(0, 20);
    throw badProto('/protobuf/message', `no message type "${cfg.message}" in the .proto${known.length ? ` (it declares ${known.join(', ')})` : ''}`);
  }
  return found;
}

function listTypes(ns: protobuf.NamespaceBase): string[] {
  return ns.nestedArray.flatMap((n) => (n instanceof protobuf.Type ? [n.fullName.slice(1), ...listTypes(n)] : n instanceof protobuf.Namespace ? listTypes(n) : []));
}

// Compiled types per stream, rebuilt when its config version changes.
const compiled = new Map<string, { version: number; type: protobuf.Type }>();

function typeFor(config: StreamConfig): protobuf.Type {
  if (!config.protobuf) {
    throw new AppError('SG_ERR_UNSUPPORTED_MEDIA_TYPE', `stream "${config.name}" has no .proto registered: PUT /v1/streams/${config.name} with "protobuf": {"proto": "<.proto text>", "message": "<package.Message>"} first, or send JSON`);
  }
  const hit = compiled.get(config.name);
  if (hit && hit.version === config.version) return hit.type;
  const type = compileProtobuf(config.protobuf);
  compiled.set(config.name, { version: config.version, type });
  return type;
}

/**
 * Splits the body into messages now (one, or with `delimited` a sequence each prefixed by its
 * varint length, as writeDelimited makes them); decodes them once the stream's type is known.
 */
export function parseProtobuf(buf: Buffer, delimited: boolean, limits: BodyLimits): DeferredEvents {
  const frames = delimited ? splitDelimited(buf, limits.maxItems) : [buf];
  if (frames.length === 0) throw new AppError('SG_ERR_MALFORMED_BODY', 'the body holds no length-delimited messages');
  return new DeferredEvents(frames.length, (config) => decodeAll(frames, typeFor(config)));
}

function splitDelimited(buf: Buffer, maxItems: number): Buffer[] {
  const frames: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    let len = 0;
    let shift = 0;
    let byte: number;
    do {
      if (pos >= buf.length || shift > 28) throw new AppError('SG_ERR_MALFORMED_BODY', `message ${frames.length}: its length prefix is cut off or too long; nothing was written`, { errors: [{ index: frames.length, field: '', message: 'bad length prefix' }] });
      byte = buf[pos++]!;
      len += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    if (pos + len > buf.length) throw new AppError('SG_ERR_MALFORMED_BODY', `message ${frames.length}: ${len} bytes announced, ${buf.length - pos} left; nothing was written`, { errors: [{ index: frames.length, field: '', message: 'truncated message' }] });
    if (frames.length >= maxItems) throw new AppError('SG_ERR_TOO_MANY_EVENTS', `more than ${maxItems} events in one request; nothing was written`);
    frames.push(buf.subarray(pos, pos + len));
    pos += len;
  }
  return frames;
}

/**
 * Sub-messages one request may hold. Each costs an object when decoded (and a full set of default
 * fields after): a body of empty sub-messages, two bytes each, would otherwise make a 10 MB body
 * millions of objects.
 */
export const MAX_PROTOBUF_SUBMESSAGES = 100_000;

/** Counts the sub-messages of an encoded message from its wire format, before anything is decoded. */
function countSubmessages(buf: Uint8Array, type: protobuf.Type, budget: { left: number }): void {
  const reader = protobuf.Reader.create(buf);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const wire = tag & 7;
    const field = type.fieldsById[tag >>> 3];
    if (wire === 2 && field?.resolvedType instanceof protobuf.Type && !field.map) {
      const len = reader.uint32();
      if (--budget.left < 0) throw new AppError('SG_ERR_TOO_MANY_EVENTS', `the body holds more than ${MAX_PROTOBUF_SUBMESSAGES} sub-messages; send fewer per request`);
      countSubmessages(buf.subarray(reader.pos, reader.pos + len), field.resolvedType, budget);
      reader.skip(len);
    } else if (wire === 2 && field?.map) {
      // A map entry is a small message of key and value: counted as one.
      const len = reader.uint32();
      if (--budget.left < 0) throw new AppError('SG_ERR_TOO_MANY_EVENTS', `the body holds more than ${MAX_PROTOBUF_SUBMESSAGES} sub-messages; send fewer per request`);
      reader.skip(len);
    } else {
      reader.skipType(wire);
    }
  }
}

function decodeAll(frames: Buffer[], type: protobuf.Type): unknown[] {
  const budget = { left: MAX_PROTOBUF_SUBMESSAGES };
  for (const frame of frames) {
    try {
      countSubmessages(frame, type, budget);
    } catch (err) {
      if (err instanceof AppError) throw err;
      // Malformed wire data: decode below reports it with the message's index.
    }
  }
  const errors: FieldError[] = [];
  let bad = 0;
  const events = frames.map((frame, index) => {
    const report = (field: string, message: string) => {
      if (errors.length < MAX_REPORTED) errors.push({ index, field, message });
    };
    const before = errors.length;
    let event: unknown;
    try {
      event = plain(type.toObject(type.decode(frame), TO_OBJECT), type, '', report);
    } catch (err) {
      report('', `not a valid ${type.fullName.slice(1)} message: ${(err as Error).message}`);
    }
    if (errors.length > before || event === undefined) bad++;
    return event;
  });
  if (bad > 0) throw new AppError('SG_ERR_BAD_EVENTS', `${bad} of ${frames.length} event(s) rejected; nothing was written`, { errors });
  return events;
}

/** Longs as numbers where a double holds them exactly (else their exact text); unset sub-messages left out. */
function plain(obj: Record<string, unknown>, type: protobuf.Type, at: string, report: (field: string, message: string) => void): Record<string, unknown> {
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    if (v === undefined) continue;
    if (v === null) {
      delete obj[field.name];
      continue;
    }
    const path = `${at}/${field.name}`;
    const one = (x: unknown, p: string): unknown => {
      if (field.resolvedType instanceof protobuf.Type) return plain(x as Record<string, unknown>, field.resolvedType, p, report);
      if (LONGS.has(field.type) && typeof x === 'string') {
        const n = Number(x);
        return Number.isSafeInteger(n) ? n : x;
      }
      if (FLOATS.has(field.type) && typeof x === 'number' && !Number.isFinite(x)) report(p, `${x} is not a JSON number`);
      return x;
    };
    if (field.map) {
      const m = v as Record<string, unknown>;
      for (const k of Object.keys(m)) m[k] = one(m[k], `${path}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    } else if (field.repeated) {
      obj[field.name] = (v as unknown[]).map((x, i) => one(x, `${path}/${i}`));
    } else {
      obj[field.name] = one(v, path);
    }
  }
  return obj;
}
