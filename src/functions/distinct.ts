// DISTINCT for any aggregate that allows it: keep the distinct values, fold them at result time.
// A large value set is checkpointed outside its group's entry (see `external` in types.ts), so a
// commit writes the values added since the last one instead of the whole set.
import { valueKey } from './values.js';
import { fromStoredValue, storedValue } from './decimal.js';
import { EngineStateError } from './errors.js';
import type { AggregateContext, AggregateFunction } from './types.js';

interface Seen { v: unknown; ts: number; id: string }

/** Past this many values a set is kept outside its group's checkpoint entry. */
export const DISTINCT_INLINE_MAX = 256;

/** The stand-in a group's entry holds for a set kept outside it: its size and its current result. */
interface Stub { $values: number; r: unknown }

/** The distinct values seen, and which of them the checkpoint has not received yet. */
export class DistinctSet {
  readonly items = new Map<unknown, Seen>();
  unsaved = new Map<unknown, Seen>();
  /** Read from a checkpoint entry without its values (readers render from it; nothing adds to it). */
  constructor(readonly stub?: Stub) {}

  put(k: unknown, it: Seen): void {
    this.items.set(k, it);
    this.unsaved.set(k, it);
  }
}

const earlier = (a: Seen, b: Seen): boolean => a.ts < b.ts || (a.ts === b.ts && a.id < b.id);

const isStub = (j: unknown): j is Stub => j !== null && typeof j === 'object' && !Array.isArray(j) && typeof (j as Stub).$values === 'number';

function loaded(s: DistinctSet): DistinctSet {
  if (s.stub) throw new EngineStateError('a DISTINCT state was read without its values');
  return s;
}

/** Wraps `inner` so each distinct input value is counted once; mergeable by set union. */
export function distinctOf(inner: AggregateFunction, params: unknown[]): AggregateFunction<DistinctSet> {
  const ordered = inner.ordered === true;
  const fold = (s: DistinctSet): unknown => {
    if (s.stub) return s.stub.r;
    if (inner.name === 'COUNT') return s.items.size;
    const items = [...s.items.values()];
    if (ordered) items.sort((a, b) => (earlier(a, b) ? -1 : earlier(b, a) ? 1 : 0));
    let st = inner.init(params);
    for (const it of items) st = inner.add(st, it.v, { ts: it.ts, id: it.id });
    return inner.result(st);
  };
  const fromItems = (list: Iterable<[unknown, number, string]>): DistinctSet => {
    const m = new DistinctSet();
    for (const [stored, ts, id] of list) {
      const v = fromStoredValue(stored);
      m.items.set(valueKey(v), { v, ts, id });
    }
    return m;
  };
  return {
    kind: 'aggregate',
    name: `${inner.name} DISTINCT`,
    minArgs: inner.minArgs,
    maxArgs: inner.maxArgs,
    acceptsNulls: inner.acceptsNulls === true,
    ...(inner.decimal ? { decimal: true } : {}),
    returnType: (t) => inner.returnType(t),
    init: () => new DistinctSet(),
    add: (s, v, ctx: AggregateContext) => {
      const k = valueKey(v);
      const prev = loaded(s).items.get(k);
      if (prev === undefined || (ordered && earlier(ctx as Seen, prev))) s.put(k, { v, ts: ctx.ts, id: ctx.id });
      return s;
    },
    merge: (a, b) => {
      const out = new DistinctSet();
      for (const [k, it] of loaded(a).items) out.items.set(k, it);
      out.unsaved = new Map(a.unsaved);
      for (const [k, it] of loaded(b).items) {
        const prev = out.items.get(k);
        if (prev === undefined || earlier(it, prev)) out.put(k, it);
      }
      return out;
    },
    result: fold,
    serialize: (s) => (ordered ? [...loaded(s).items.values()].map((i) => [storedValue(i.v), i.ts, i.id]) : [...loaded(s).items.values()].map((i) => storedValue(i.v))),
    deserialize: (j) => {
      if (isStub(j)) return new DistinctSet(j);
      return fromItems((j as unknown[]).map((e) => (ordered ? (e as [unknown, number, string]) : [e, 0, ''])));
    },
    external: {
      large: (s) => s.stub !== undefined || s.items.size > DISTINCT_INLINE_MAX,
      stub: (s): Stub => ({ $values: loaded(s).items.size, r: fold(s) }),
      isStub,
      // One hash field per value (its JSON); the value holds the first (ts, id) when order matters.
      take: (s, all) => {
        const out: [string, string][] = [];
        for (const it of (all ? loaded(s).items : s.unsaved).values()) out.push([JSON.stringify(storedValue(it.v)), ordered ? JSON.stringify([it.ts, it.id]) : '']);
        s.unsaved.clear();
        return out;
      },
      settle: (s) => s.unsaved.clear(),
      restore: (stub, entries) => {
        const s = fromItems(entries.map(([f, x]): [unknown, number, string] => {
          const [ts, id] = ordered ? (JSON.parse(x) as [number, string]) : [0, ''];
          return [JSON.parse(f), ts, id];
        }));
        // A values hash that lost entries would answer wrong without a word: refuse it instead.
        if (isStub(stub) && stub.$values !== s.items.size) throw new EngineStateError(`a DISTINCT state holds ${s.items.size} values where its checkpoint counted ${stub.$values}`);
        return s;
      },
    },
  };
}
