// CAST at run time; an unconvertible value becomes NULL (TRY_CAST semantics, since event fields are untyped).
import type { CastTarget } from '../sql/ast.js';
import { isoTime, roundHalfAway, toEpochMs } from '../sql/values.js';

const numeric = (v: unknown): number | null => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isNaN(n) ? null : n;
  }
  return null;
};

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Converts a value to the target type, or null when it cannot be. */
export function castValue(v: unknown, to: CastTarget, scale: number | undefined, fromTimestamp: boolean, fromDecimal = false): unknown {
  if (v === null || v === undefined) return null;
  // An exact sum past 2^53: integer and text keep it exact, the other targets see its double.
  if (typeof v === 'bigint') {
    if (to === 'integer') return v;
    if (to === 'varchar') return v.toString();
    v = Number(v);
  }
  switch (to) {
    case 'integer': {
      // Like DuckDB and PostgreSQL, a DECIMAL rounds ties away from zero, a double to even (rint).
      const n = numeric(v);
      return n === null ? null : fromDecimal ? roundHalfAway(n) : roundHalfEven(n);
    }
    case 'double':
      return numeric(v);
    case 'decimal': {
      const n = numeric(v);
      return n === null ? null : roundHalfAway(n, scale ?? 3);
    }
    case 'varchar':
      if (fromTimestamp && typeof v === 'number') return isoTime(v);
      return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      const s = typeof v === 'string' ? v.trim().toLowerCase() : '';
      return ['true', 't', 'yes', 'y', '1'].includes(s) ? true : ['false', 'f', 'no', 'n', '0'].includes(s) ? false : null;
    }
    case 'timestamp':
      return toEpochMs(v);
  }
}
