// Durations and rates as typed on the command line: `10s`, `500ms`, `2m`, `1h`; `100`, `100/s`.
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: not a duration (e.g. 10s, 500ms, 2m): ${text}`);
  return Number(m[1]) * UNITS[m[2] ?? 's']!;
}

export function parseRate(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) throw new UsageError(`${what}: not a rate in events per second (e.g. 100 or 100/s): ${text}`);
  return Number(m[1]);
}

export function parseCount(text: string, what: string, min = 0): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${what} must be a whole number of at least ${min}: ${text}`);
  return n;
}

export function parseFraction(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`${what} must be between 0 and 1: ${text}`);
  return n;
}
