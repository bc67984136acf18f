// Large DISTINCT sets are checkpointed beside their group's entry: past DISTINCT_INLINE_MAX values
// the entry holds a stand-in and the delta carries only the values added since the last commit;
// the entry plus its values rebuild the same state; a new group under a dropped key starts over.
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { createEngine } from '../../src/engine/index.js';
import { bindAggregates, hasOutsideValues, withOutsideValues } from '../../src/engine/index.js';
import { DISTINCT_INLINE_MAX } from '../../src/functions/index.js';
import type { SourceEvent, StateDelta } from '../../src/engine/index.js';

const ev = (id: number, ts: number, data: Record<string, unknown>): SourceEvent => ({ id: `0-${id}`, ts, data });
const SQL = 'SELECT g, COUNT(DISTINCT u) AS du, SUM(DISTINCT x) AS sx, ARRAY_AGG(DISTINCT u) AS first_us, COUNT(*) AS n FROM s GROUP BY g';
const plan = compileQuery(SQL).plan;
const aggs = bindAggregates(plan);

/** Plays the commit: state entries and values hashes as Redis would hold them. */
function apply(store: { state: Record<string, string>; values: Map<string, Record<string, string>> }, d: StateDelta): void {
  for (const k of d.del) delete store.state[k];
  Object.assign(store.state, d.set);
  for (const k of d.dropValues ?? []) store.values.delete(k);
  for (const [k, pairs] of d.values ?? []) {
    const h = store.values.get(k) ?? {};
    for (const [f, v] of pairs) h[f] = v;
    store.values.set(k, h);
  }
}

t.test('past the inline limit a commit writes only the values it added, and the checkpoint rebuilds the same rows', (t) => {
  const e = createEngine(plan, { emit: 'changes', latenessMs: 0 });
  const store = { state: {} as Record<string, string>, values: new Map<string, Record<string, string>>() };
  let id = 0;
  e.apply(Array.from({ length: DISTINCT_INLINE_MAX }, (_, i) => ev(id++, 1000 + i, { g: 'a', u: i, x: i % 7 })));
  let d = e.takeDelta();
  apply(store, d);
  t.equal(d.values, undefined, `${DISTINCT_INLINE_MAX} values stay in the entry`);
  t.notOk(hasOutsideValues(d.set['["a"]']!, aggs));

  e.apply([ev(id++, 5000, { g: 'a', u: 'new', x: 1 })]);
  d = e.takeDelta();
  apply(store, d);
  const all = d.values?.[0]?.[1] ?? [];
  t.ok(hasOutsideValues(d.set['["a"]']!, aggs), 'one more: the entry holds stand-ins');
  t.equal(all.length, (DISTINCT_INLINE_MAX + 1) * 2 + 7, 'the first time outside, every value of every DISTINCT state is written');

  e.apply([ev(id++, 6000, { g: 'a', u: 1, x: 1 }), ev(id++, 6001, { g: 'a', u: 'newer', x: 100 }), ev(id++, 6002, { g: 'a', u: 'newer', x: 2 })]);
  d = e.takeDelta();
  apply(store, d);
  t.same(d.values, [['["a"]', [['0:"newer"', ''], ['1:100', ''], ['2:"newer"', '[6001,"0-258"]']]]], 'then only what was added (the ordered aggregate keeps its first time)');

  const rows = e.rows();
  const again = createEngine(plan, { emit: 'changes', latenessMs: 0 });
  const entries = Object.fromEntries(Object.entries(store.state).map(([k, v]) => [k, hasOutsideValues(v, aggs) ? withOutsideValues(v, store.values.get(k)!, aggs) : v]));
  again.load(entries, d.meta);
  t.same(again.rows(), rows, 'entry + values rebuild the same rows');
  t.same(rows[0]!.row.du, DISTINCT_INLINE_MAX + 2);
  // After a reload the values are already outside: the next commit adds only its own.
  again.apply([ev(id++, 7000, { g: 'a', u: 'latest', x: 1 })]);
  const d2 = again.takeDelta();
  t.same(d2.values, [['["a"]', [['0:"latest"', ''], ['2:"latest"', '[7000,"0-260"]']]]]);
  t.throws(() => withOutsideValues(d.set['["a"]']!, { '0:1': '' }, aggs), /holds 1 values where its checkpoint counted/, 'a values hash that lost entries is refused');
  t.end();
});

t.test('a group that leaves the state drops its values hash; a renderer reads the count from the stand-in', (t) => {
  const tumble = "SELECT g, COUNT(DISTINCT u) AS du, window_start FROM s GROUP BY g, TUMBLE(ts, INTERVAL '1' SECOND)";
  const e = createEngine(compileQuery(tumble).plan, { emit: 'changes', latenessMs: 0 });
  e.apply(Array.from({ length: 400 }, (_, i) => ev(i, 100 + i, { g: 'a', u: i })));
  const d = e.takeDelta();
  const key = Object.keys(d.set)[0]!;
  t.equal(d.values?.[0]?.[1].length, 400);
  t.ok(d.set[key]!.length < 200, `the entry of a COUNT(DISTINCT) is small (${d.set[key]!.length} characters; ARRAY_AGG(DISTINCT)'s stand-in holds its result, which grows with the set)`);
  const renderer = createEngine(compileQuery(tumble).plan, { emit: 'changes', latenessMs: 0 });
  t.equal(renderer.renderRow(d.set[key]!).row.du, 400, 'rendered from the stand-in alone');
  const closed = e.apply([ev(999, 5000, { g: 'b', u: 1 })]);
  t.equal(closed.closed.length, 1, 'the window closed');
  const d2 = e.takeDelta();
  t.same(d2.del, [key]);
  t.same(d2.dropValues, [key], 'its values hash goes with it');
  t.end();
});
