// Checks every event of a request before anything is written: all or nothing.
import type { ValidateFunction } from 'ajv';
import { AppError, type FieldError } from '../errors.js';
import { readEventTime } from './event-time.js';
import { readPath } from './field-path.js';

/** An event ready for the write: what the ingest function stores, plus routing data. */
export interface PreparedEvent {
  json: string;
  /** undefined: Redis stamps the arrival time. */
  eventTime: number | undefined;
  dedupeId: string | undefined;
  partitionValue: string | undefined;
}

export interface ValidationRules {
  timeField: string;
  partitionKey: string | undefined;
  validate: ValidateFunction | undefined;
}

/** Problem reports list at most this many bad events, so a huge bad batch gives a small answer. */
const MAX_REPORTED = 20;

function pointer(path: string): string {
  return '/' + path.split('.').join('/');
}

/** Validates and serialises the events; throws SG_ERR_BAD_EVENTS listing the first 20 problems. */
export function prepareEvents(events: unknown[], rules: ValidationRules): PreparedEvent[] {
  const errors: FieldError[] = [];
  let badEvents = 0;
  const prepared: PreparedEvent[] = [];
  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    let bad = false;
    const report = (field: string, message: string) => {
      bad = true;
      if (errors.length < MAX_REPORTED) errors.push({ index, field, message });
    };
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      report('', `event must be a JSON object, got ${event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event}`);
      badEvents++;
      continue;
    }
    const obj = event as Record<string, unknown>;
    if (rules.validate && !rules.validate(obj)) {
      for (const e of rules.validate.errors ?? []) {
        const field = e.keyword === 'required' ? `${e.instancePath}/${String((e.params as { missingProperty?: string }).missingProperty)}` : e.instancePath;
        report(field, e.message ?? 'is invalid');
      }
    }
    const time = readEventTime(readPath(obj, rules.timeField));
    if (!time.ok) report(pointer(rules.timeField), time.message);
    const rawId = obj.id;
    let dedupeId: string | undefined;
    if (rawId !== undefined && rawId !== null) {
      if (typeof rawId === 'string' && rawId.length > 0 && rawId.length <= 512) dedupeId = rawId;
      else if (typeof rawId === 'number' && Number.isFinite(rawId)) dedupeId = String(rawId);
      else report('/id', 'id must be a non-empty string (at most 512 characters) or a number');
    }
    if (bad) {
      badEvents++;
      continue;
    }
    if (badEvents > 0) continue; // already rejecting: skip the serialisation work
    let partitionValue: string | undefined;
    if (rules.partitionKey) {
      const v = readPath(obj, rules.partitionKey);
      if (v !== undefined && v !== null) partitionValue = typeof v === 'string' ? v : JSON.stringify(v);
    }
    prepared.push({ json: JSON.stringify(obj), eventTime: time.ok ? time.ms : undefined, dedupeId, partitionValue });
  }
  if (badEvents > 0 || errors.length > 0) {
    throw new AppError(
      'SG_ERR_BAD_EVENTS',
      `${badEvents} of ${events.length} event(s) rejected; nothing was written` + (errors.length >= MAX_REPORTED ? ` (first ${MAX_REPORTED} problems listed)` : ''),
      { errors },
    );
  }
  return prepared;
}
