// Built-in aggregates, written on the same AggregateFunction interface as plugins.
import type { SqlType } from './sql-types.js';
import { surelyNotNumeric } from './sql-types.js';
import { compareValues } from './values.js';
import { Decimal, exactDecimal, fromStoredValue, storedValue } from './decimal.js';
import type { AggregateContext, AggregateFunction, TypeCheck } from './types.js';
import { compareIds } from '../util/stream-ids.js';
import { arrayAggLimit, arrayAggTextLimit, GroupLimitError } from './limits.js';

const numericArg = (name: string, result: (t: SqlType) => SqlType) => (args: SqlType[]): TypeCheck => {
  const t = args[0] ?? 'any';
  if (surelyNotNumeric(t)) return { error: `${name} needs a numeric argument, not ${t}` };
  return result(t);
};

/** SUM's state: null until a value arrives, a number while exact, a bigint past 2^53, a Decimal for DECIMAL input. */
export type SumState = number | bigint | Decimal | null;
type Sum = SumState;

const asDouble = (v: number | bigint | Decimal): number => (v instanceof Decimal ? v.toNumber() : Number(v));

// Integer sums stay exact: they move to BigInt as soon as a partial sum leaves the safe range.
/** Adds to a sum, moving to BigInt when an integer sum would lose precision. */
export function addSum(s: Sum, v: number | bigint | Decimal): Sum {
  if (s === null) return v;
  // DECIMAL stays exact with decimals and integers; a fractional double makes the sum a double.
  if (s instanceof Decimal || v instanceof Decimal) {
    const x = exactDecimal(s);
    const y = exactDecimal(v);
    return x && y ? x.add(y) : asDouble(s) + asDouble(v);
  }
  if (typeof s === 'number' && typeof v === 'number') {
    const r = s + v;
    if (Number.isSafeInteger(r) || !Number.isInteger(s) || !Number.isInteger(v)) return r;
    return BigInt(s) + BigInt(v);
  }
  if (typeof s === 'bigint' && typeof v === 'bigint') return s + v;
  if (typeof s === 'bigint') return Number.isInteger(v) ? s + BigInt(v) : Number(s) + Number(v);
  return Number.isInteger(s) ? BigInt(s) + (v as bigint) : s + Number(v);
}

// A sum past 2^53 stays a BigInt for HAVING and arithmetic; rows print it as decimal text.
const sumResult = (s: Sum): Sum => s;
const sumSerialize = (s: Sum): unknown => (typeof s === 'bigint' ? { big: s.toString() } : storedValue(s));
const sumDeserialize = (j: unknown): Sum => {
  if (typeof j === 'object' && j !== null && typeof (j as { big?: unknown }).big === 'string') return BigInt((j as { big: string }).big);
  return fromStoredValue(j) as Sum;
};

export const count: AggregateFunction<number> = {
  kind: 'aggregate', name: 'COUNT', minArgs: 0, maxArgs: 1, distinctAllowed: true, kernel: 'count',
  returnType: () => 'integer',
  init: () => 0,
  add: (s) => s + 1,
  merge: (a, b) => a + b,
  result: (s) => s,
  serialize: (s) => s,
  deserialize: (j) => Number(j),
};

export const sum: AggregateFunction<Sum> = {
  kind: 'aggregate', name: 'SUM', minArgs: 1, maxArgs: 1, distinctAllowed: true, decimal: true, kernel: 'sum',
  returnType: numericArg('SUM', (t) => (t === 'integer' ? 'integer' : t)),
  init: () => null,
  add: (s, v) => (typeof v === 'number' || v instanceof Decimal ? addSum(s, v) : s),
  merge: (a, b) => (b === null ? a : addSum(a, b)),
  result: sumResult,
  serialize: sumSerialize,
  deserialize: sumDeserialize,
};

/** AVG's state: an exact sum and a count. */
export interface AvgState { sum: Sum; n: number }
type Avg = AvgState;
export const avg: AggregateFunction<Avg> = {
  kind: 'aggregate', name: 'AVG', minArgs: 1, maxArgs: 1, distinctAllowed: true, decimal: true, kernel: 'avg',
  returnType: numericArg('AVG', () => 'double'),
  init: () => ({ sum: null, n: 0 }),
  add: (s, v) => {
    if (typeof v === 'number' || v instanceof Decimal) {
      s.sum = addSum(s.sum, v);
      s.n++;
    }
    return s;
  },
  merge: (a, b) => ({ sum: b.sum === null ? a.sum : addSum(a.sum, b.sum), n: a.n + b.n }),
  // AVG of DECIMAL is a DOUBLE (DuckDB); the sum it divides was exact.
  result: (s) => (s.n === 0 || s.sum === null ? null : asDouble(s.sum) / s.n),
  serialize: (s) => [sumSerialize(s.sum), s.n],
  deserialize: (j) => {
    const [a, n] = j as [unknown, number];
    return { sum: sumDeserialize(a), n };
  },
};

const extreme = (name: 'MIN' | 'MAX', sign: 1 | -1): AggregateFunction<unknown> => ({
  kind: 'aggregate', name, minArgs: 1, maxArgs: 1, distinctAllowed: true, decimal: true, kernel: name === 'MIN' ? 'min' : 'max',
  returnType: (args) => args[0] ?? 'any',
  init: () => null,
  add: (s, v) => (s === null || compareValues(v, s) * sign < 0 ? v : s),
  merge: (a, b) => (a === null ? b : b === null ? a : compareValues(b, a) * sign < 0 ? b : a),
  result: (s) => s,
  serialize: storedValue,
  deserialize: fromStoredValue,
});
export const min = extreme('MIN', 1);
export const max = extreme('MAX', -1);

// Welford's running moments; merge is Chan et al.'s parallel formula.
interface Moments { n: number; mean: number; m2: number }
const moments = (name: string, result: (m: Moments) => number | null): AggregateFunction<Moments> => ({
  kind: 'aggregate', name, minArgs: 1, maxArgs: 1,
  returnType: numericArg(name, () => 'double'),
  init: () => ({ n: 0, mean: 0, m2: 0 }),
  add: (s, v) => {
    if (typeof v !== 'number') return s;
    s.n++;
    const d = v - s.mean;
    s.mean += d / s.n;
    s.m2 += d * (v - s.mean);
    return s;
  },
  merge: (a, b) => {
    if (a.n === 0) return { ...b };
    if (b.n === 0) return { ...a };
    const n = a.n + b.n;
    const d = b.mean - a.mean;
    return { n, mean: a.mean + (d * b.n) / n, m2: a.m2 + b.m2 + (d * d * a.n * b.n) / n };
  },
  result: (s) => result(s),
  serialize: (s) => [s.n, s.mean, s.m2],
  deserialize: (j) => {
    const [n, mean, m2] = j as [number, number, number];
    return { n, mean, m2 };
  },
});
const clamp = (x: number): number => (x < 0 ? 0 : x);
export const varPop = moments('VAR_POP', (m) => (m.n === 0 ? null : clamp(m.m2 / m.n)));
export const varSamp = moments('VAR_SAMP', (m) => (m.n < 2 ? null : clamp(m.m2 / (m.n - 1))));
export const stddevPop = moments('STDDEV_POP', (m) => (m.n === 0 ? null : Math.sqrt(clamp(m.m2 / m.n))));
export const stddevSamp = moments('STDDEV_SAMP', (m) => (m.n < 2 ? null : Math.sqrt(clamp(m.m2 / (m.n - 1)))));

// FIRST/LAST by event time; the event id breaks ties so merge stays commutative.
type Stamped = { ts: number; id: string; v: unknown } | null;
// Ties on event time go by stream id, compared as numbers: as text '0-10' sorts before '0-9'.
const before = (a: AggregateContext, b: AggregateContext): boolean => a.ts < b.ts || (a.ts === b.ts && compareIds(a.id, b.id) < 0);
const byTime = (name: string, last: boolean): AggregateFunction<Stamped> => ({
  kind: 'aggregate', name, minArgs: 1, maxArgs: 1,
  returnType: (args) => args[0] ?? 'any',
  init: () => null,
  add: (s, v, ctx) => (s === null || before(ctx, s) !== last ? { ts: ctx.ts, id: ctx.id, v } : s),
  merge: (a, b) => (a === null ? b : b === null ? a : before(b, a) !== last ? b : a),
  result: (s) => (s === null ? null : s.v),
  serialize: (s) => (s === null ? null : [s.ts, s.id, s.v]),
  deserialize: (j) => {
    if (j === null) return null;
    const [ts, id, v] = j as [number, string, unknown];
    return { ts, id, v };
  },
});
export const firstValue = byTime('FIRST_VALUE', false);
export const lastValue = byTime('LAST_VALUE', true);

// Values are kept with their (ts, id) so the merged array is in event-time order whatever the merge order.
type Items = { ts: number; id: string; v: unknown; n: number }[] & { chars?: number };

const textSize = (v: unknown): number => (typeof v === 'string' ? v.length : v !== null && typeof v === 'object' ? JSON.stringify(v).length : 8);

function checkArrayAgg(count: number, chars: number): void {
  if (count > arrayAggLimit) throw new GroupLimitError(`ARRAY_AGG holds more than ${arrayAggLimit} values in one group`);
  if (chars > arrayAggTextLimit) throw new GroupLimitError(`ARRAY_AGG holds more than ${arrayAggTextLimit} characters in one group`);
}

const charsOf = (s: Items): number => (s.chars ??= s.reduce((n, i) => n + i.n, 0));

export const arrayAgg: AggregateFunction<Items> = {
  kind: 'aggregate', name: 'ARRAY_AGG', minArgs: 1, maxArgs: 1, distinctAllowed: true, acceptsNulls: true, ordered: true,
  returnType: () => 'array',
  init: () => [],
  add: (s, v, ctx) => {
    const item = { ts: ctx.ts, id: ctx.id, v, n: textSize(v) };
    const chars = charsOf(s) + item.n;
    checkArrayAgg(s.length + 1, chars);
    s.chars = chars;
    // Binary insertion: out-of-order events cost a search and one move, not a sort of the array.
    let lo = s.length;
    if (lo > 0 && before(ctx, s[lo - 1] as AggregateContext)) {
      let hi = lo - 1;
      lo = 0;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before(ctx, s[mid] as AggregateContext)) hi = mid;
        else lo = mid + 1;
      }
    }
    s.splice(lo, 0, item);
    return s;
  },
  merge: (a, b) => {
    checkArrayAgg(a.length + b.length, charsOf(a) + charsOf(b));
    return [...a, ...b].sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
  },
  result: (s) => (s.length === 0 ? null : s.map((i) => i.v)),
  serialize: (s) => s.map((i) => [i.ts, i.id, i.v]),
  deserialize: (j) => (j as [number, string, unknown][]).map(([ts, id, v]) => ({ ts, id, v, n: textSize(v) })),
};

export const builtinAggregates: AggregateFunction<never>[] = [
  count, sum, avg, min, max, varPop, varSamp, stddevPop, stddevSamp, firstValue, lastValue, arrayAgg,
] as unknown as AggregateFunction<never>[];

/** Aliases resolved to built-ins at bind time. */
export const aggregateAliases: Record<string, string> = {
  STDDEV: 'STDDEV_SAMP', VARIANCE: 'VAR_SAMP', FIRST: 'FIRST_VALUE', LAST: 'LAST_VALUE', LIST: 'ARRAY_AGG',
};

