// application/msgpack bodies: one map (an event) or an array of maps, turned into the same plain
// values a JSON body gives. A value JSON cannot hold exactly is refused, never rounded or dropped.
import { Decoder, ExtData } from '@msgpack/msgpack';
import { AppError, type FieldError } from '../../errors.js';
import type { BodyLimits } from '../../http/parse-body.js';

// int64/uint64 arrive as bigint so that one past 2^53 is seen, not silently rounded.
const decoder = new Decoder({ useBigInt64: true });
const MAX_REPORTED = 20;

/** The element count of a top-level array, read from its header; undefined for anything else. */
function arrayLength(buf: Uint8Array): number | undefined {
  const b = buf[0];
  if (b === undefined) return undefined;
  if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b === 0xdc && buf.length >= 3) return view.getUint16(1);
  if (b === 0xdd && buf.length >= 5) return view.getUint32(1);
  return undefined;
}

export function parseMsgpack(buf: Buffer, limits: BodyLimits): unknown[] {
  if (buf.length === 0) throw new AppError('SG_ERR_MALFORMED_BODY', 'the body is empty');
  // Counted from the array header, before anything is decoded.
  const n = arrayLength(buf);
  if (n !== undefined && n > limits.maxItems) throw new AppError('SG_ERR_TOO_MANY_EVENTS', `more than ${limits.maxItems} events in one request; nothing was written`);
  let decoded: unknown;
  try {
    decoded = decoder.decode(buf);
  } catch (err) {
    const msg = (err as Error).message;
    if (msg.includes('__proto__')) throw new AppError('SG_ERR_PROTOTYPE_POISONING', 'the body contains a forbidden "__proto__" key');
    throw new AppError('SG_ERR_MALFORMED_BODY', `the body is not valid MessagePack: ${msg}`);
  }
  const events = Array.isArray(decoded) ? decoded : [decoded];
  const errors: FieldError[] = [];
  let bad = 0;
  const out = events.map((event, index) => {
    let eventBad = false;
    const report = (field: string, message: string) => {
      eventBad = true;
      if (errors.length < MAX_REPORTED) errors.push({ index, field, message });
    };
    const value = toJsonValue(event, '', 0, limits.maxDepth, report);
    if (eventBad) bad++;
    return value;
  });
  if (bad > 0) throw new AppError('SG_ERR_BAD_EVENTS', `${bad} of ${events.length} event(s) rejected; nothing was written`, { errors });
  return out;
}

const escape = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** The JSON value a MessagePack value stands for; what has none is reported at its JSON pointer. */
function toJsonValue(v: unknown, at: string, depth: number, maxDepth: number, report: (field: string, message: string) => void): unknown {
  switch (typeof v) {
    case 'bigint':
      if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
      report(at, `integer ${v} is beyond ±2^53 and would lose precision as a JSON number; send it as a string (a DECIMAL field takes numeric text)`);
      return undefined;
    case 'number':
      if (!Number.isFinite(v)) report(at, `${v} is not a JSON number`);
      return v;
    case 'string':
    case 'boolean':
      return v;
    case 'object': {
      if (v === null) return null;
      if (depth >= maxDepth) {
        report(at, `nests arrays or maps more than ${maxDepth} levels deep`);
        return undefined;
      }
      if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
      // The timestamp extension: ISO-8601 text, which the time field reads like JSON's.
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? (report(at, 'is not a valid timestamp'), undefined) : v.toISOString();
      if (v instanceof ExtData) {
        report(at, `MessagePack extension type ${v.type} has no JSON form`);
        return undefined;
      }
      if (Array.isArray(v)) return v.map((x, i) => toJsonValue(x, `${at}/${i}`, depth + 1, maxDepth, report));
      const obj = v as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const child = obj[key];
        // The JSON path refuses constructor.prototype too (prototype poisoning when merged elsewhere).
        if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) {
          throw new AppError('SG_ERR_PROTOTYPE_POISONING', 'the body contains a forbidden "constructor.prototype" property');
        }
        obj[key] = toJsonValue(child, `${at}/${escape(key)}`, depth + 1, maxDepth, report);
      }
      return obj;
    }
    default:
      report(at, `a ${typeof v} has no JSON form`);
      return undefined;
  }
}
