// APPROX_PERCENTILE(x, p): a DDSketch with 1% relative value error; bucket counts merge by addition.
import type { SqlType } from './sql-types.js';
import { surelyNotNumeric } from './sql-types.js';
import type { AggregateFunction } from './types.js';

/** Relative accuracy: the answer is within 1% of the true value at the requested rank. */
export const percentileRelativeError = 0.01;
const gamma = (1 + percentileRelativeError) / (1 - percentileRelativeError);
const logGamma = Math.log(gamma);
// Buckets are sparse (Maps), so any non-zero magnitude has its own bucket, down to subnormals
// (index ≈ -37,000 at 5e-324); only an exact zero counts as zero.

// min and max are exact: answers are clamped to them (a bucket's value may lie just outside the
// data), and p = 0 and p = 1 answer them exactly, as DataDog's DDSketch does.
interface Sketch { q: number; pos: Map<number, number>; neg: Map<number, number>; zero: number; n: number; min: number; max: number }

const index = (x: number): number => Math.ceil(Math.log(x) / logGamma);
const bucketValue = (i: number): number => (2 * gamma ** i) / (gamma + 1);

function addTo(m: Map<number, number>, i: number, c: number): void {
  m.set(i, (m.get(i) ?? 0) + c);
}

function quantile(s: Sketch, q: number): number | null {
  if (s.n === 0) return null;
  const rank = q * (s.n - 1);
  let seen = 0;
  const negKeys = [...s.neg.keys()].sort((a, b) => b - a);
  for (const k of negKeys) {
    seen += s.neg.get(k) ?? 0;
    if (seen > rank) return -bucketValue(k);
  }
  seen += s.zero;
  if (seen > rank) return 0;
  const posKeys = [...s.pos.keys()].sort((a, b) => a - b);
  for (const k of posKeys) {
    seen += s.pos.get(k) ?? 0;
    if (seen > rank) return bucketValue(k);
  }
  return posKeys.length > 0 ? bucketValue(posKeys[posKeys.length - 1] ?? 0) : 0;
}

/** DDSketch percentile; merge adds bucket counts, so it is exactly associative and commutative. */
export const approxPercentile: AggregateFunction<Sketch> = {
  kind: 'aggregate', name: 'APPROX_PERCENTILE', minArgs: 2, maxArgs: 2,
  returnType: (args: SqlType[]) => (surelyNotNumeric(args[0] ?? 'any') ? { error: `APPROX_PERCENTILE needs a numeric argument, not ${args[0]}` } : 'double'),
  checkParams: (params) => {
    const q = params[0];
    return typeof q === 'number' && q >= 0 && q <= 1 ? undefined : 'the percentile must be a constant between 0 and 1';
  },
  init: (params) => ({ q: Number(params[0]), pos: new Map(), neg: new Map(), zero: 0, n: 0, min: Infinity, max: -Infinity }),
  add: (s, v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return s;
    if (v < s.min) s.min = v;
    if (v > s.max) s.max = v;
    if (v > 0) addTo(s.pos, index(v), 1);
    else if (v < 0) addTo(s.neg, index(-v), 1);
    else s.zero++;
    s.n++;
    return s;
  },
  merge: (a, b) => {
    const out: Sketch = { q: a.q, pos: new Map(a.pos), neg: new Map(a.neg), zero: a.zero + b.zero, n: a.n + b.n, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
    for (const [k, c] of b.pos) addTo(out.pos, k, c);
    for (const [k, c] of b.neg) addTo(out.neg, k, c);
    return out;
  },
  result: (s) => {
    const v = quantile(s, s.q);
    return v === null ? null : Math.min(s.max, Math.max(s.min, v));
  },
  serialize: (s) => ({ p: [...s.pos], n: [...s.neg], z: s.zero, c: s.n, ...(Number.isFinite(s.min) && Number.isFinite(s.max) ? { lo: s.min, hi: s.max } : {}) }),
  deserialize: (j, params) => {
    const o = j as { p: [number, number][]; n: [number, number][]; z: number; c: number; lo?: number; hi?: number };
    // Checkpoints from before min and max were kept: no clamp.
    const empty = o.c === 0;
    return { q: Number(params[0]), pos: new Map(o.p), neg: new Map(o.n), zero: o.z, n: o.c, min: empty ? Infinity : o.lo ?? -Infinity, max: empty ? -Infinity : o.hi ?? Infinity };
  },
};
