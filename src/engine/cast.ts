// CAST at run time; an unconvertible value becomes NULL (TRY_CAST semantics, since event fields are untyped).
import type { CastTarget } from '../sql/plan.js';
import { isoTime, roundHalfAway, toEpochMs } from '../functions/index.js';
import { Decimal } from '../functions/index.js';

const numeric = (v: unknown): number | null => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isNaN(n) ? null : n;
  }
  return null;
};

// 2^(bits-1) per integer width: a value fits when -half <= x < half.
const HALF: Record<number, bigint> = { 8: 128n, 16: 32_768n, 32: 2_147_483_648n, 64: 9_223_372_036_854_775_808n };

function inRange(x: number | bigint, bits: number): boolean {
  const half = HALF[bits] ?? HALF[64]!;
  if (typeof x === 'bigint') return x >= -half && x < half;
  // A double of 2^63 or more does not fit a BIGINT; 2^63 itself is exactly representable.
  const h = Number(half);
  return x >= -h && x < h;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface CastTo {
  to: CastTarget;
  /** DECIMAL: digits after the point, and in all. */
  scale?: number | undefined;
  precision?: number | undefined;
  /** Integer width (8, 16, 32, 64). */
  bits?: number | undefined;
  /** The operand's static type is a timestamp (epoch ms prints as ISO text). */
  fromTimestamp?: boolean;
  /** The operand's static type is exact (DECIMAL, INTEGER): ties round away from zero. */
  fromDecimal?: boolean;
}

// A value as an exact decimal for CAST: decimals, integers, doubles by their shortest text, numeric text.
function toDecimal(v: unknown): Decimal | undefined {
  if (v instanceof Decimal) return v;
  if (typeof v === 'bigint') return Decimal.fromInt(v);
  if (typeof v === 'number') return Decimal.fromNumber(v);
  if (typeof v === 'boolean') return Decimal.fromInt(v ? 1 : 0);
  if (typeof v === 'string') {
    const d = Decimal.parse(v);
    if (d) return d;
    const n = numeric(v);
    return n === null ? undefined : Decimal.fromNumber(n);
  }
  return undefined;
}

/** Converts a value to the target type, or null when it cannot be. */
export function castValue(v: unknown, target: CastTo): unknown {
  if (v === null || v === undefined) return null;
  const { to, bits = 64 } = target;
  if (to === 'decimal') {
    const d = toDecimal(v)?.rescale(target.scale ?? 3);
    // Too many digits for DECIMAL(p, s) is NULL (TRY_CAST).
    return d !== undefined && d.precision <= (target.precision ?? 18) ? d : null;
  }
  if (v instanceof Decimal) {
    if (to === 'integer') {
      const r = v.rescale(0).units;
      return inRange(r, bits) ? (Number.isSafeInteger(Number(r)) ? Number(r) : r) : null;
    }
    if (to === 'varchar') return v.toString();
    if (to === 'boolean') return v.sign() !== 0;
    v = v.toNumber();
  }
  // An exact sum past 2^53: integer and text keep it exact, the other targets see its double.
  if (typeof v === 'bigint') {
    if (to === 'integer') return inRange(v, bits) ? v : null;
    if (to === 'varchar') return v.toString();
    v = Number(v);
  }
  switch (to) {
    case 'integer': {
      // Like DuckDB and PostgreSQL, a DECIMAL (and a number written as text) rounds ties away from
      // zero, a double to even (rint); a result outside the type's range is NULL (TRY_CAST).
      const n = numeric(v);
      if (n === null) return null;
      const r = target.fromDecimal || typeof v === 'string' ? roundHalfAway(n) : roundHalfEven(n);
      return inRange(r, bits) ? r : null;
    }
    case 'double':
      return numeric(v);
    case 'varchar':
      if (target.fromTimestamp && typeof v === 'number') return isoTime(v);
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
