// Run-time value helpers shared by functions and the engine: ordering, keys, time coercion.
import { parseIsoTime } from '../util/iso-time.js';
import { Decimal, exactDecimal } from './decimal.js';

/** Orders two non-null values of the same kind; values of different kinds order by kind (number < string < boolean < other). */
/**
 * Orders two texts by code point, as DuckDB and PostgreSQL (UTF-8 bytes) do. JavaScript's `<`
 * compares UTF-16 units, which puts every character above U+FFFF before U+E000…U+FFFF.
 */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Only when both units are at or above the surrogates does UTF-16 order differ from code points.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

export function compareValues(a: unknown, b: unknown): number {
  if (a instanceof Decimal || b instanceof Decimal) {
    const c = compareNumeric(a, b);
    if (c !== undefined) return c;
  }
  const ta = typeof a;
  const tb = typeof b;
  // Numbers and BigInts (exact sums past 2^53) compare by value; JavaScript's < mixes them exactly.
  if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ta === tb) {
    if (ta === 'string') return compareText(a as string, b as string);
    // Lists compare element by element, then by length (DuckDB), not by their JSON text.
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const x: unknown = a[i];
        const y: unknown = b[i];
        if (x === null || y === null) {
          if (x !== y) return x === null ? 1 : -1;
          continue;
        }
        const c = compareValues(x, y);
        if (c !== 0) return c;
      }
      return a.length - b.length;
    }
    if (ta === 'boolean') return Number(a) - Number(b);
    const ja = JSON.stringify(a);
    const jb = JSON.stringify(b);
    return ja < jb ? -1 : ja > jb ? 1 : 0;
  }
  return kindRank(ta) - kindRank(tb);
}

function kindRank(t: string): number {
  return t === 'number' || t === 'bigint' ? 0 : t === 'string' ? 1 : t === 'boolean' ? 2 : 3;
}

/** A Map key for a value: primitives as themselves, objects and arrays as their JSON text. */
export function valueKey(v: unknown): unknown {
  if (v === undefined) return null;
  if (v !== null && typeof v === 'object') return `\u0000json:${JSON.stringify(v)}`;
  return v;
}

/** Epoch milliseconds of a timestamp-like value (epoch ms number or ISO-8601 text), else null. */
export function toEpochMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
    return parseIsoTime(s) ?? null;
  }
  return null;
}

// Window bounds repeat for every row of a window, and formatting a Date is slow: keep recent ones.
const isoCache = new Map<number, string>();

/** ISO-8601 UTC with milliseconds, the one time format in result rows. */
export function isoTime(ms: number): string {
  let s = isoCache.get(ms);
  if (s === undefined) {
    s = new Date(ms).toISOString();
    if (isoCache.size >= 4096) isoCache.clear();
    isoCache.set(ms, s);
  }
  return s;
}

/** A bigint as a number when exact, else its decimal text (JSON has no 64-bit integers). */
export function exactNumber(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** Rounds half away from zero, as SQL engines do. */
export function roundHalfAway(x: number, digits = 0): number {
  const f = 10 ** digits;
  const r = Math.round(Math.abs(x) * f) / f;
  return x < 0 ? -r : r;
}

/**
 * Orders two numeric values when one is a Decimal: exactly against decimals, integers and BigInts;
 * as doubles against a fractional double (DuckDB turns DECIMAL op DOUBLE into DOUBLE). Undefined
 * when either is not numeric.
 */
export function compareNumeric(a: unknown, b: unknown): number | undefined {
  const x = exactDecimal(a);
  const y = exactDecimal(b);
  if (x && y) return x.compare(y);
  const p = a instanceof Decimal ? a.toNumber() : a;
  const q = b instanceof Decimal ? b.toNumber() : b;
  if ((typeof p === 'number' || typeof p === 'bigint') && (typeof q === 'number' || typeof q === 'bigint')) return p < q ? -1 : p > q ? 1 : 0;
  return undefined;
}

/** A value as text where SQL needs one (||, CONCAT, string functions): decimals keep their scale. */
export function valueText(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof Decimal ? String(v) : JSON.stringify(v);
}
