// TOPK(x, k): space-saving counters (capacity 10·k, at least 100); answers the k most frequent values.
import { valueKey } from './values.js';
import type { AggregateFunction } from './types.js';

interface Counter { v: unknown; count: number; err: number }
interface Summary { k: number; cap: number; items: Map<unknown, Counter> }

const capacityFor = (k: number): number => Math.max(100, k * 10);

// Ties break on the value's key text, so eviction and output never depend on arrival order.
const keyText = (c: Counter): string => JSON.stringify(valueKey(c.v));
const lessFrequent = (a: Counter, b: Counter): boolean => a.count < b.count || (a.count === b.count && keyText(a) > keyText(b));

function evictMin(s: Summary): Counter {
  let min: Counter | undefined;
  for (const c of s.items.values()) if (min === undefined || lessFrequent(c, min)) min = c;
  if (min === undefined) throw new Error('empty summary');
  s.items.delete(valueKey(min.v));
  return min;
}

function trim(s: Summary): Summary {
  if (s.items.size <= s.cap) return s;
  const kept = [...s.items.values()].sort((a, b) => (lessFrequent(a, b) ? 1 : lessFrequent(b, a) ? -1 : 0)).slice(0, s.cap);
  return { ...s, items: new Map(kept.map((c) => [valueKey(c.v), c])) };
}

/**
 * Space-saving top-k. While a group has at most `capacity` distinct values the counts are exact
 * and merge (adding counts) is associative; beyond that each count overestimates by at most its `err`.
 */
export const topK: AggregateFunction<Summary> = {
  kind: 'aggregate', name: 'TOPK', minArgs: 2, maxArgs: 2,
  returnType: () => 'array',
  checkParams: (params) => {
    const k = params[0];
    return typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= 1000 ? undefined : 'k must be a constant integer between 1 and 1000';
  },
  init: (params) => {
    const k = Number(params[0]);
    return { k, cap: capacityFor(k), items: new Map() };
  },
  add: (s, v) => {
    const key = valueKey(v);
    const c = s.items.get(key);
    if (c !== undefined) c.count++;
    else if (s.items.size < s.cap) s.items.set(key, { v, count: 1, err: 0 });
    else {
      const min = evictMin(s);
      s.items.set(key, { v, count: min.count + 1, err: min.count });
    }
    return s;
  },
  merge: (a, b) => {
    const items = new Map<unknown, Counter>();
    for (const c of a.items.values()) items.set(valueKey(c.v), { ...c });
    for (const c of b.items.values()) {
      const key = valueKey(c.v);
      const prev = items.get(key);
      if (prev) items.set(key, { v: c.v, count: prev.count + c.count, err: prev.err + c.err });
      else items.set(key, { ...c });
    }
    return trim({ k: a.k, cap: a.cap, items });
  },
  result: (s) => {
    if (s.items.size === 0) return null;
    const sorted = [...s.items.values()].sort((a, b) => (lessFrequent(a, b) ? 1 : lessFrequent(b, a) ? -1 : 0));
    return sorted.slice(0, s.k).map((c) => ({ value: c.v, count: c.count }));
  },
  serialize: (s) => [...s.items.values()].map((c) => [c.v, c.count, c.err]),
  deserialize: (j, params) => {
    const k = Number(params[0]);
    const items = new Map<unknown, Counter>();
    for (const [v, count, err] of j as [unknown, number, number][]) items.set(valueKey(v), { v, count, err });
    return { k, cap: capacityFor(k), items };
  },
};
