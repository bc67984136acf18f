// Event time from an event field: epoch milliseconds or an ISO-8601 string.
import { parseIsoTime } from '../util/iso-time.js';

const ISO_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;
// Years 0000..9999: anything else is almost certainly seconds-vs-milliseconds confusion.
const MAX_MS = 253_402_300_799_999;

export type EventTimeResult = { ok: true; ms: number | undefined } | { ok: false; message: string };

/** Reads the time field; undefined/null means "use the arrival time". */
export function readEventTime(value: unknown): EventTimeResult {
  if (value === undefined || value === null) return { ok: true, ms: undefined };
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) return { ok: false, message: 'must be integer epoch milliseconds or an ISO-8601 string' };
    if (value < 0 || value > MAX_MS) return { ok: false, message: 'epoch milliseconds out of range' };
    return { ok: true, ms: value };
  }
  if (typeof value === 'string') {
    if (!ISO_RE.test(value)) return { ok: false, message: 'must be an ISO-8601 timestamp such as 2026-01-01T00:00:00Z, or epoch milliseconds' };
    // A date-time without an offset is read as UTC, as the contract says times are UTC.
    const ms = parseIsoTime(value);
    if (ms === undefined) return { ok: false, message: 'is not a valid date' };
    if (ms < 0 || ms > MAX_MS) return { ok: false, message: 'is out of range' };
    return { ok: true, ms };
  }
  return { ok: false, message: 'must be integer epoch milliseconds or an ISO-8601 string' };
}
