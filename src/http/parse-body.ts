// Request body parsing for events: JSON and NDJSON, with prototype-poisoning protection and
// errors that say which line and why.
import sjson from 'secure-json-parse';
import { AppError, type FieldError } from '../errors.js';

const SAFE = { protoAction: 'error', constructorAction: 'error' } as const;
const POISON = /prototype/i;

const poisoned = (errors?: FieldError[]) =>
  new AppError('SG_ERR_PROTOTYPE_POISONING', 'the body contains a forbidden "__proto__" or "constructor.prototype" property', errors ? { errors } : {});

/** Bounds checked before anything is parsed. */
export interface BodyLimits {
  /** Nesting of arrays and objects (an event is rarely deeper than a few levels). */
  maxDepth: number;
  /** Elements of a top-level array, and NDJSON lines: the events of one request. */
  maxItems: number;
}

export const defaultBodyLimits: BodyLimits = { maxDepth: 64, maxItems: Infinity };

const tooDeep = (max: number, where = '') => new AppError('SG_ERR_MALFORMED_BODY', `the body nests arrays or objects more than ${max} levels deep${where}; nothing was written`);
const tooMany = (max: number) => new AppError('SG_ERR_TOO_MANY_EVENTS', `more than ${max} events in one request; nothing was written`);

/**
 * One linear pass over JSON text, before it is parsed: its deepest nesting (stopping past `max`)
 * and how many elements a top-level array holds (stopping past `maxItems`). Strings are skipped,
 * escapes included; malformed text is left for the parser to report.
 */
export function scanJson(text: string, limits: BodyLimits): { deep: boolean; items: number } {
  let depth = 0;
  let items = 0;
  let topArray = false;
  let empty = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // A string: to its closing quote, past backslash escapes.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
      if (depth === 1) empty = false;
    } else if (c === 91 || c === 123) {
      if (depth === 0 && c === 91) topArray = true;
      else if (depth === 1) empty = false;
      if (++depth > limits.maxDepth) return { deep: true, items };
    } else if (c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 1 && topArray) {
      if (++items >= limits.maxItems) return { deep: false, items: items + 1 };
    } else if (depth === 1 && c > 32) empty = false;
  }
  return { deep: false, items: topArray ? (empty ? 0 : items + 1) : 1 };
}

/** Parses an application/json body; too deep or (a top-level array) too many elements is a 400 before parsing. */
export function parseJsonBody(text: string, limits: BodyLimits = defaultBodyLimits): unknown {
  if (text.trim() === '') throw new AppError('SG_ERR_MALFORMED_BODY', 'the body is empty');
  const scan = scanJson(text, limits);
  if (scan.deep) throw tooDeep(limits.maxDepth);
  if (scan.items > limits.maxItems) throw tooMany(limits.maxItems);
  try {
    return sjson.parse(text, undefined, SAFE);
  } catch (err) {
    if (POISON.test((err as Error).message)) throw poisoned();
    throw new AppError('SG_ERR_MALFORMED_BODY', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Parses NDJSON; a bad line rejects the whole body, naming the event index and line number. */
export function parseNdjson(text: string, limits: BodyLimits = defaultBodyLimits): unknown[] {
  const events: unknown[] = [];
  const errors: FieldError[] = [];
  let isPoisoned = false;
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    // Counted as lines arrive: parsing stops at the first event past the limit.
    if (events.length >= limits.maxItems) throw tooMany(limits.maxItems);
    if (scanJson(line, limits).deep) throw tooDeep(limits.maxDepth, ` (line ${lineNo})`);
    try {
      events.push(sjson.parse(line, undefined, SAFE));
    } catch (err) {
      const msg = (err as Error).message;
      if (POISON.test(msg)) isPoisoned = true;
      if (errors.length < 20) errors.push({ index: events.length, field: '', message: `line ${lineNo}: ${msg}` });
      events.push(undefined);
    }
  }
  if (isPoisoned) throw poisoned(errors);
  if (errors.length) throw new AppError('SG_ERR_MALFORMED_BODY', 'NDJSON line(s) are not valid JSON; nothing was written', { errors });
  if (events.length === 0) throw new AppError('SG_ERR_MALFORMED_BODY', 'the body holds no NDJSON lines');
  return events;
}
