// DISTINCT for any aggregate that allows it: keep the distinct values, fold them at result time.
import { valueKey } from '../values.js';
import type { AggregateContext, AggregateFunction } from './types.js';

interface Seen { v: unknown; ts: number; id: string }
type DistinctState = Map<unknown, Seen>;

const earlier = (a: Seen, b: Seen): boolean => a.ts < b.ts || (a.ts === b.ts && a.id < b.id);

/** Wraps `inner` so each distinct input value is counted once; mergeable by set union. */
export function distinctOf(inner: AggregateFunction, params: unknown[]): AggregateFunction<DistinctState> {
  const ordered = inner.ordered === true;
  const fold = (s: DistinctState): unknown => {
    if (inner.name === 'COUNT') return s.size;
    const items = [...s.values()];
    if (ordered) items.sort((a, b) => (earlier(a, b) ? -1 : earlier(b, a) ? 1 : 0));
    let st = inner.init(params);
    for (const it of items) st = inner.add(st, it.v, { ts: it.ts, id: it.id });
    return inner.result(st);
  };
  return {
    kind: 'aggregate',
    name: `${inner.name} DISTINCT`,
    minArgs: inner.minArgs,
    maxArgs: inner.maxArgs,
    acceptsNulls: inner.acceptsNulls === true,
    returnType: (t) => inner.returnType(t),
    init: () => new Map(),
    add: (s, v, ctx: AggregateContext) => {
      const k = valueKey(v);
      const prev = s.get(k);
      if (prev === undefined) s.set(k, { v, ts: ctx.ts, id: ctx.id });
      else if (ordered && earlier(ctx as Seen, prev)) s.set(k, { v, ts: ctx.ts, id: ctx.id });
      return s;
    },
    merge: (a, b) => {
      const out = new Map(a);
      for (const [k, it] of b) {
        const prev = out.get(k);
        if (prev === undefined || earlier(it, prev)) out.set(k, it);
      }
      return out;
    },
    result: fold,
    serialize: (s) => (ordered ? [...s.values()].map((i) => [i.v, i.ts, i.id]) : [...s.values()].map((i) => i.v)),
    deserialize: (j) => {
      const m: DistinctState = new Map();
      for (const e of j as unknown[]) {
        const [v, ts, id] = ordered ? (e as [unknown, number, string]) : [e, 0, ''];
        m.set(valueKey(v), { v, ts, id });
      }
      return m;
    },
  };
}
