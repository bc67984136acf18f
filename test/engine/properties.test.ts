// Property tests: aggregate merges are associative and commutative; checkpoints and batch splits never change results.
import fc from 'fast-check';
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { defaultRegistry } from '../../src/functions/index.js';
import { distinctOf } from '../../src/functions/index.js';
import type { AggregateFunction } from '../../src/functions/index.js';
import { createEngine } from '../../src/engine/index.js';
import { mergeStates } from '../../src/engine/index.js';
import type { Engine, Row, SourceEvent } from '../../src/engine/index.js';

const registry = defaultRegistry();
const paramsFor: Record<string, unknown[]> = { APPROX_PERCENTILE: [0.9], TOPK: [3] };

interface Item { v: number | string | null; ts: number; id: string }
const itemArb = fc.record({
  v: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constantFrom(null, 0.5, -2.25, 1e15)),
  ts: fc.integer({ min: 0, max: 1000 }),
  id: fc.string({ minLength: 1, maxLength: 3 }),
});
const stringItemArb = fc.record({ v: fc.constantFrom('a', 'b', 'c', 'dd', null), ts: fc.integer({ min: 0, max: 1000 }), id: fc.string({ minLength: 1, maxLength: 3 }) });

function fold(fn: AggregateFunction, params: unknown[], items: Item[]): unknown {
  let s = fn.init(params);
  for (const it of items) if (it.v !== null || fn.acceptsNulls) s = fn.add(s, it.v, { ts: it.ts, id: it.id });
  return s;
}

// Copies through serialize/deserialize so a merge can never alias or mutate its inputs unnoticed.
const copy = (fn: AggregateFunction, params: unknown[], s: unknown): unknown => fn.deserialize(JSON.parse(JSON.stringify(fn.serialize(s))), params);

function near(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => near(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

const aggregateNames = registry.names().filter((n) => registry.aggregate(n));
const cases: { label: string; fn: AggregateFunction; params: unknown[] }[] = [];
for (const name of aggregateNames) {
  const fn = registry.aggregate(name)!;
  const params = paramsFor[name] ?? [];
  cases.push({ label: name, fn, params });
  if (fn.distinctAllowed) cases.push({ label: `${name} DISTINCT`, fn: distinctOf(fn, params), params });
}

for (const { label, fn, params } of cases) {
  const numeric = !['MIN', 'MAX', 'ARRAY_AGG', 'FIRST_VALUE', 'LAST_VALUE', 'COUNT', 'TOPK'].some((n) => label.startsWith(n)) || label.startsWith('COUNT');
  const arb = numeric ? itemArb : fc.oneof(itemArb, stringItemArb);
  void t.test(`${label}: merge is associative and commutative and equals one pass`, (t) => {
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 20 }), fc.array(arb, { maxLength: 20 }), fc.array(arb, { maxLength: 20 }), (xs, ys, zs) => {
        const [a, b, c] = [xs, ys, zs].map((items) => fold(fn, params, items));
        const m = (p: unknown, q: unknown): unknown => fn.merge(copy(fn, params, p), copy(fn, params, q));
        const left = fn.result(m(m(a, b), c));
        const right = fn.result(m(a, m(b, c)));
        const swapped = fn.result(m(b, a));
        const ab = fn.result(m(a, b));
        const whole = fn.result(fold(fn, params, [...xs, ...ys, ...zs]));
        return near(left, right) && near(ab, swapped) && (label.startsWith('TOPK') || near(left, whole));
      }),
      { numRuns: 60, seed: 7 },
    );
    t.pass('property held');
    t.end();
  });
}

const queries = [
  "SELECT k, COUNT(*) AS n, SUM(a) AS s, AVG(a) AS av, MIN(a) AS lo, COUNT(DISTINCT a) AS d, window_start FROM s GROUP BY k, TUMBLE(ts, INTERVAL '10' SECOND) HAVING COUNT(*) > 1",
  "SELECT k, SUM(a) AS s, LAST_VALUE(a) AS l, window_end FROM s GROUP BY k, HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND)",
  "SELECT COUNT(*) AS n, STDDEV_POP(a) AS sd, window_start FROM s GROUP BY CUMULATE(ts, INTERVAL '5' SECOND, INTERVAL '20' SECOND)",
  "SELECT k, COUNT(*) AS n, window_start, window_end FROM s GROUP BY k, SESSION(ts, INTERVAL '4' SECOND) HAVING SUM(a) > 0",
  'SELECT k, COUNT(*) AS n, MAX(a) - MIN(a) AS spread, APPROX_COUNT_DISTINCT(a) AS hll FROM s GROUP BY k',
];
const plans = queries.map((q) => compileQuery(q).plan);

// Includes events behind the watermark, so late handling is exercised too.
const streamArb = fc.array(fc.record({ dt: fc.integer({ min: -6000, max: 5000 }), k: fc.constantFrom('x', 'y', null), a: fc.option(fc.integer({ min: -5, max: 20 })) }), { maxLength: 80 })
  .map((raw) => {
    let ts = 100_000;
    return raw.map((r, i): SourceEvent => {
      ts += r.dt;
      return { id: `e${String(i).padStart(3, '0')}`, ts, data: { k: r.k, a: r.a } };
    });
  });

interface Outcome { table: Record<string, Row>; late: string[]; closed: string[] }

function run(engineFor: () => Engine, events: SourceEvent[], cuts: number[], checkpointAt?: number): Outcome {
  let engine = engineFor();
  const table = new Map<string, Row>();
  const late: string[] = [];
  const closed: string[] = [];
  const points = [...new Set([0, ...cuts.map((c) => c % (events.length + 1)), events.length])].sort((a, b) => a - b);
  for (let i = 0; i + 1 < points.length; i++) {
    const res = engine.apply(events.slice(points[i], points[i + 1]));
    for (const c of res.changes) {
      if (c.op === 'upsert') table.set(c.key, c.row);
      else table.delete(c.key);
    }
    late.push(...res.late.map((e) => e.id));
    closed.push(...res.closed.map((c) => c.key));
    if (checkpointAt === i) {
      const snap = engine.snapshot();
      engine = engineFor();
      engine.restore(snap);
    }
  }
  return { table: Object.fromEntries(table), late, closed };
}

void t.test('any split of the input into batches gives the same rows, late events and closed windows', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: plans.length - 1 }), streamArb, fc.array(fc.nat(), { maxLength: 10 }), (q, events, cuts) => {
      const make = (): Engine => createEngine(plans[q]!, { emit: 'changes', latenessMs: 3000 });
      const whole = run(make, events, []);
      const split = run(make, events, cuts);
      t.same(split, whole);
      return true;
    }),
    { numRuns: 150, seed: 11 },
  );
  t.end();
});

void t.test('snapshot, restore and continue equals an uninterrupted run', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: plans.length - 1 }), streamArb, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.nat(5), (q, events, cuts, at) => {
      const make = (): Engine => createEngine(plans[q]!, { emit: 'changes', latenessMs: 3000 });
      t.same(run(make, events, cuts, at), run(make, events, cuts));
      return true;
    }),
    { numRuns: 150, seed: 12 },
  );
  t.end();
});

void t.test('restoring from accumulated deltas equals an uninterrupted run', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: plans.length - 1 }), streamArb, fc.nat(80), (q, events, cut) => {
      const opts = { emit: 'changes' as const, latenessMs: 3000 };
      const a = createEngine(plans[q]!, opts);
      const hash: Record<string, string> = {};
      const first = a.apply(events.slice(0, cut));
      const d = a.takeDelta();
      for (const k of d.del) delete hash[k];
      Object.assign(hash, d.set);
      const b = createEngine(plans[q]!, opts);
      b.load(hash, d.meta);
      const restOfA = a.apply(events.slice(cut));
      const restOfB = b.apply(events.slice(cut));
      t.same(restOfB, restOfA);
      t.same(b.rows(), a.rows());
      return first !== undefined;
    }),
    { numRuns: 150, seed: 13 },
  );
  t.end();
});

void t.test('merging the serialized partial states of two partitions equals one engine over all events', (t) => {
  const plan = compileQuery('SELECT k, COUNT(*) AS n, SUM(a) AS s, MIN(a) AS lo, COUNT(DISTINCT a) AS d FROM s GROUP BY k').plan;
  fc.assert(
    fc.property(streamArb, (events) => {
      const opts = { emit: 'changes' as const, latenessMs: 0 };
      const [p1, p2, all] = [createEngine(plan, opts), createEngine(plan, opts), createEngine(plan, opts)];
      p1.apply(events.filter((_, i) => i % 2 === 0));
      p2.apply(events.filter((_, i) => i % 2 === 1));
      all.apply(events);
      const d1 = p1.takeDelta().set;
      const d2 = p2.takeDelta().set;
      const merged: Record<string, string> = { ...d1 };
      for (const [k, v] of Object.entries(d2)) merged[k] = d1[k] === undefined ? v : mergeStates(plan, d1[k], v);
      const combined = createEngine(plan, opts);
      combined.load(merged, all.takeDelta().meta);
      const sort = (rows: { key: string; row: Row }[]) => rows.sort((x, y) => (x.key < y.key ? -1 : 1));
      t.same(sort(combined.rows()), sort(all.rows()));
      return true;
    }),
    { numRuns: 100, seed: 14 },
  );
  t.end();
});
