// Request body parsing for events: JSON and NDJSON, with prototype-poisoning protection and
// errors that say which line and why.
import sjson from 'secure-json-parse';
import { AppError, type FieldError } from '../errors.js';

const SAFE = { protoAction: 'error', constructorAction: 'error' } as const;
const POISON = /prototype/i;

const poisoned = (errors?: FieldError[]) =>
  new AppError('SG_ERR_PROTOTYPE_POISONING', 'the body contains a forbidden "__proto__" or "constructor.prototype" property', errors ? { errors } : {});

/** Parses an application/json body. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new AppError('SG_ERR_MALFORMED_BODY', 'the body is empty');
  try {
    return sjson.parse(text, undefined, SAFE);
  } catch (err) {
    if (POISON.test((err as Error).message)) throw poisoned();
    throw new AppError('SG_ERR_MALFORMED_BODY', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Parses NDJSON; a bad line rejects the whole body, naming the event index and line number. */
export function parseNdjson(text: string): unknown[] {
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
