// Engine behaviour: emission modes, HAVING deletes, watermarks, lateness, idle advance, limits and null semantics.
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { createEngine, mergeStates } from '../../src/engine/index.js';
import { EngineConfigError, EngineLimitError } from '../../src/engine/index.js';
import type { EngineOptions, SourceEvent } from '../../src/engine/index.js';

const MIN = 60_000;
const ev = (id: number, ts: number, data: Record<string, unknown>): SourceEvent => ({ id: `e${id}`, ts, data });
const engineFor = (sql: string, opts: Partial<EngineOptions> = {}) => createEngine(compileQuery(sql).plan, { emit: 'changes', latenessMs: 0, ...opts });
const tumble = "SELECT k, COUNT(*) AS n, window_start FROM s GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)";

void t.test('emit changes sends an upsert for each changed row', (t) => {
  const e = engineFor(tumble);
  const res = e.apply([ev(1, 1000, { k: 'a' }), ev(2, 2000, { k: 'b' }), ev(3, 3000, { k: 'a' })]);
  t.same(res.changes.map((c) => [c.op, c.row.k, c.row.n, c.final]), [['upsert', 'a', 2, false], ['upsert', 'b', 1, false]]);
  t.end();
});

void t.test('a window closes when the watermark reaches its end, with a final row', (t) => {
  const e = engineFor(tumble, { latenessMs: 5000 });
  e.apply([ev(1, 1000, { k: 'a' })]);
  t.same(e.apply([ev(2, MIN + 4999, { k: 'b' })]).closed, []);
  const res = e.apply([ev(3, MIN + 5000, { k: 'b' })]);
  t.same(res.closed.map((c) => c.row), [{ k: 'a', n: 1, window_start: '1970-01-01T00:00:00.000Z' }]);
  t.ok(res.changes.some((c) => c.final && c.row.k === 'a'));
  t.same(e.rows().map((r) => r.row.k), ['b'], 'the closed window left the working state');
  t.end();
});

void t.test('emit final sends one row per window only when it closes', (t) => {
  const e = engineFor(tumble, { emit: 'final' });
  t.same(e.apply([ev(1, 1000, { k: 'a' }), ev(2, 2000, { k: 'a' })]).changes, []);
  const res = e.apply([ev(3, MIN, { k: 'a' })]);
  t.same(res.changes.map((c) => [c.op, c.row.n, c.final]), [['upsert', 2, true]]);
  t.end();
});

void t.test('a row that stops passing HAVING is deleted', (t) => {
  const e = engineFor('SELECT k, SUM(a) AS s FROM s GROUP BY k HAVING SUM(a) > 0');
  t.same(e.apply([ev(1, 0, { k: 'x', a: 5 })]).changes.map((c) => c.op), ['upsert']);
  const res = e.apply([ev(2, 0, { k: 'x', a: -10 })]);
  t.same(res.changes.map((c) => [c.op, c.row.s]), [['delete', -5]]);
  t.same(e.rows(), []);
  t.end();
});

void t.test('late events are returned and never applied', (t) => {
  const e = engineFor(tumble, { latenessMs: 1000 });
  e.apply([ev(1, 1000, { k: 'a' }), ev(2, MIN + 1000, { k: 'a' })]);
  const res = e.apply([ev(3, 30_000, { k: 'a' })]);
  t.same(res.late.map((x) => x.id), ['e3']);
  t.same(res.changes, []);
  t.end();
});

void t.test('a hopping window counts an event in every window that contains it', (t) => {
  const e = engineFor("SELECT COUNT(*) AS n, window_start, window_end FROM s GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE)");
  const res = e.apply([ev(1, 2.5 * MIN, {})]);
  t.same(res.changes.map((c) => [c.row.window_start, c.row.window_end]), [
    ['1970-01-01T00:00:00.000Z', '1970-01-01T00:03:00.000Z'],
    ['1970-01-01T00:01:00.000Z', '1970-01-01T00:04:00.000Z'],
    ['1970-01-01T00:02:00.000Z', '1970-01-01T00:05:00.000Z'],
  ]);
  t.end();
});

void t.test('a cumulating window emits growing windows from the same start', (t) => {
  const e = engineFor("SELECT COUNT(*) AS n, window_end FROM s GROUP BY CUMULATE(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE)");
  const res = e.apply([ev(1, 30_000, {}), ev(2, 90_000, {})]);
  t.same(res.changes.map((c) => [c.row.window_end, c.row.n]), [
    ['1970-01-01T00:01:00.000Z', 1], ['1970-01-01T00:02:00.000Z', 2], ['1970-01-01T00:03:00.000Z', 2],
  ]);
  t.end();
});

void t.test('an idle timeout advances the watermark from processing time, and the advance survives a restore', (t) => {
  const opts = { idleTimeoutMs: 10_000, latenessMs: 0 };
  const e = engineFor(tumble, opts);
  e.apply([ev(1, 1000, { k: 'a' })]);
  t.same(e.advanceIdle(500_000).closed, [], 'the first call after events only records activity');
  const copy = engineFor(tumble, opts);
  copy.restore(e.snapshot());
  t.same(e.advanceIdle(500_000 + 30_000).closed, [], 'not yet past the window end');
  const res = e.advanceIdle(500_000 + 59_000);
  t.same(res.closed.map((c) => c.row.n), [1]);
  t.same(copy.advanceIdle(500_000 + 59_000).closed.map((c) => c.row.n), [1]);
  t.end();
});

void t.test('too many groups raise EngineLimitError', (t) => {
  const e = engineFor('SELECT k, COUNT(*) FROM s GROUP BY k', { limits: { maxGroups: 2 } });
  t.throws(() => e.apply([ev(1, 0, { k: 1 }), ev(2, 0, { k: 2 }), ev(3, 0, { k: 3 })]), EngineLimitError);
  t.end();
});

void t.test('state over its byte limit raises EngineLimitError', (t) => {
  const e = engineFor('SELECT k, ARRAY_AGG(v) FROM s GROUP BY k', { limits: { maxStateBytes: 2000 } });
  const batch = Array.from({ length: 100 }, (_, i) => ev(i, i, { k: 'x', v: `value-${i}` }));
  t.throws(() => e.apply(batch), { code: 'SG_ERR_QUERY_LIMIT' });
  t.end();
});

void t.test("emit 'final' on an unwindowed query is refused", (t) => {
  t.throws(() => engineFor('SELECT COUNT(*) FROM s', { emit: 'final' }), EngineConfigError);
  t.end();
});

void t.test('NULL is its own group, SUM of only nulls is NULL and COUNT(x) skips nulls', (t) => {
  const e = engineFor('SELECT k, SUM(a) AS s, COUNT(a) AS c, COUNT(*) AS n FROM s GROUP BY k');
  e.apply([ev(1, 0, { k: null, a: null }), ev(2, 0, {}), ev(3, 0, { k: 'x', a: 2 })]);
  t.same(e.rows().map((r) => r.row), [{ k: null, s: null, c: 0, n: 2 }, { k: 'x', s: 2, c: 1, n: 1 }]);
  t.end();
});

void t.test('integer sums stay exact past 2^53 and are returned as decimal text', (t) => {
  const e = engineFor('SELECT SUM(a) AS s FROM s');
  e.apply([ev(1, 0, { a: Number.MAX_SAFE_INTEGER }), ev(2, 0, { a: Number.MAX_SAFE_INTEGER }), ev(3, 0, { a: 3 })]);
  t.equal(e.rows()[0]?.row.s, (2n * BigInt(Number.MAX_SAFE_INTEGER) + 3n).toString());
  t.end();
});

void t.test('unquoted names match fields case-insensitively and quoted names exactly', (t) => {
  const e = engineFor('SELECT REGION, "Region", COUNT(*) AS n FROM s GROUP BY REGION, "Region"');
  e.apply([ev(1, 0, { Region: 'eu' })]);
  t.same(e.rows()[0]?.row, { REGION: 'eu', Region: 'eu', n: 1 });
  const exact = engineFor('SELECT "region", COUNT(*) AS n FROM s GROUP BY "region"');
  exact.apply([ev(1, 0, { Region: 'eu' })]);
  t.same(exact.rows()[0]?.row, { region: null, n: 1 });
  t.end();
});

void t.test('nested fields and ->> read inside event objects', (t) => {
  const e = engineFor("SELECT payload.user.id AS uid, payload ->> 'country' AS c, COUNT(*) AS n FROM s GROUP BY payload.user.id, payload ->> 'country'");
  e.apply([ev(1, 0, { payload: { user: { id: 7 }, country: 'NL' } })]);
  t.same(e.rows()[0]?.row, { uid: 7, c: 'NL', n: 1 });
  t.end();
});

void t.test('a field named like an Object prototype member reads as missing', (t) => {
  const e = engineFor('SELECT constructor, COUNT(*) AS n FROM s GROUP BY constructor');
  e.apply([ev(1, 0, {})]);
  t.same(e.rows()[0]?.row, { constructor: null, n: 1 });
  t.end();
});

void t.test('ARRAY_AGG beyond its bound raises EngineLimitError, with or without DISTINCT', (t) => {
  const batch = Array.from({ length: 10_001 }, (_, i) => ev(i, 0, { v: i }));
  t.throws(() => engineFor('SELECT ARRAY_AGG(v) FROM s').apply(batch), EngineLimitError);
  t.throws(() => engineFor('SELECT ARRAY_AGG(DISTINCT v) FROM s').apply(batch), EngineLimitError);
  t.end();
});

void t.test('a closing window whose final row fails HAVING is deleted with the final flag', (t) => {
  const e = engineFor("SELECT COUNT(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE) HAVING COUNT(*) < 2");
  t.same(e.apply([ev(1, 0, {})]).changes.map((c) => c.op), ['upsert']);
  const res = e.apply([ev(2, 1, {}), ev(3, MIN, {})]);
  t.same(res.changes.map((c) => [c.op, c.final, c.row.n]), [['delete', true, 2], ['upsert', false, 1]]);
  t.same(res.closed, []);
  t.end();
});

void t.test('an event time outside the representable range is late, and such a TIMESTAMP result is NULL', (t) => {
  const e = engineFor(tumble);
  t.same(e.apply([ev(1, 1e20, { k: 'a' }), ev(2, Number.NaN, { k: 'a' })]).late.map((x) => x.id), ['e1', 'e2']);
  const m = engineFor('SELECT MAX(CAST(x AS TIMESTAMP)) AS t FROM s');
  m.apply([ev(1, 0, { x: 1e20 })]);
  t.same(m.rows()[0]?.row, { t: null });
  t.end();
});

void t.test('restoring from damaged state raises EngineStateError', (t) => {
  const e = engineFor('SELECT k, COUNT(*) FROM s GROUP BY k');
  t.throws(() => e.restore('not json'), { code: 'SG_ERR_QUERY_STATE' });
  t.throws(() => e.load({}, '{"v":9}'), { code: 'SG_ERR_QUERY_STATE' });
  const other = engineFor('SELECT k, COUNT(*) FROM s GROUP BY k');
  other.apply([ev(1, 0, { k: 'a' })]);
  const { set, meta } = other.takeDelta();
  const [key, value] = Object.entries(set)[0]!;
  t.throws(() => e.load({ [`${key}x`]: value }, meta), { code: 'SG_ERR_QUERY_STATE' });
  t.throws(() => engineFor('SELECT k, COUNT(*), SUM(a) FROM s GROUP BY k').load({ [key]: value }, meta), { code: 'SG_ERR_QUERY_STATE' });
  t.end();
});

void t.test('ties on event time order by stream id as numbers: 12 events in one millisecond', (t) => {
  const e = engineFor('SELECT k, FIRST_VALUE(v) AS f, LAST_VALUE(v) AS l, ARRAY_AGG(v) AS a FROM s GROUP BY k');
  // Ids as one 12-event POST gets them: 1000-0 … 1000-11, all with the same event time.
  const batch = Array.from({ length: 12 }, (_, i) => ({ id: `1000-${i}`, ts: 1000, data: { k: 'x', v: i } }));
  // Applied out of order, so the order must come from the ids.
  const res = e.apply([...batch.slice(6), ...batch.slice(0, 6)]);
  const row = res.changes[0]!.row;
  t.equal(row.f, 0);
  t.equal(row.l, 11);
  t.same(row.a, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  t.end();
});

void t.test('ARRAY_AGG past its text limit fails the query with a limit error, by class', async (t) => {
  const { EngineLimitError } = await import('../../src/engine/errors.js');
  const e = engineFor('SELECT k, ARRAY_AGG(v) AS a FROM s GROUP BY k');
  const big = 'x'.repeat(1_048_576);
  t.throws(() => e.apply(Array.from({ length: 9 }, (_, i) => ({ id: `1-${i}`, ts: 1, data: { k: 'x', v: big } }))), EngineLimitError);
  t.end();
});

void t.test('a value over the text limit is a ValueLimitError for that event (dead-lettered by the runtime)', async (t) => {
  const { ValueLimitError } = await import('../../src/functions/limits.js');
  const e = engineFor("SELECT k, COUNT(*) AS n FROM s WHERE REPLACE(v, 'a', v) <> '' GROUP BY k");
  t.throws(() => e.apply([{ id: '1-0', ts: 1, data: { k: 'x', v: 'a'.repeat(8192) } }]), ValueLimitError);
  t.end();
});

void t.test('HOP lateness is per window: an out-of-order event counts in every window still open', (t) => {
  const e = engineFor("SELECT COUNT(*) AS n, window_start FROM s GROUP BY HOP(ts, INTERVAL '15' SECOND, INTERVAL '30' SECOND)");
  e.apply([{ id: '1-0', ts: 0, data: {} }, { id: '1-1', ts: 20_000, data: {} }]);
  const res = e.apply([{ id: '1-2', ts: 10_000, data: {} }]);
  t.equal(res.late.length, 1, 'reported late: it missed [-15 s, 15 s)');
  const rows = new Map(e.rows().map((r) => [r.row.window_start, r.row.n]));
  t.equal(rows.get(new Date(0).toISOString()), 3, 'window [0, 30 s) counts all three events');
  t.equal(rows.get(new Date(15_000).toISOString()), 1);
  t.end();
});

void t.test('CUMULATE lateness is per window: a late event still counts in the larger open windows', (t) => {
  const e = engineFor("SELECT COUNT(*) AS n, window_end FROM s GROUP BY CUMULATE(ts, INTERVAL '10' SECOND, INTERVAL '30' SECOND)");
  e.apply([{ id: '1-0', ts: 1_000, data: {} }, { id: '1-1', ts: 12_000, data: {} }]);
  const res = e.apply([{ id: '1-2', ts: 5_000, data: {} }]);
  t.equal(res.late.length, 1, 'it missed [0, 10 s)');
  const rows = new Map(e.rows().map((r) => [r.row.window_end, r.row.n]));
  t.equal(rows.get(new Date(20_000).toISOString()), 3);
  t.equal(rows.get(new Date(30_000).toISOString()), 3);
  t.end();
});

void t.test('partial engines close windows only when sealed; merged partials give the single-engine rows', (t) => {
  const sql = "SELECT k, COUNT(*) AS n, SUM(v) AS total, window_start FROM s GROUP BY k, TUMBLE(ts, INTERVAL '10' SECOND) HAVING COUNT(*) > 1";
  const whole = engineFor(sql);
  const parts = [engineFor(sql, { partial: true }), engineFor(sql, { partial: true })];
  const events = Array.from({ length: 40 }, (_, i) => ({ id: `1-${i}`, ts: i * 700, data: { k: `k${i % 3}`, v: i } }));
  const closedWhole = events.flatMap((ev) => whole.apply([ev]).closed);
  closedWhole.push(...whole.advanceIdle(0).closed);
  events.forEach((ev, i) => parts[i % 2]!.apply([ev]));
  t.same(parts.flatMap((p) => p.apply([]).closed), [], 'no partial engine closes a window on its own');
  // The query's watermark is the slower partition's; sealing hands each window's groups over once.
  const horizon = Math.min(...parts.map((p) => p.watermark));
  const sealed = parts.map((p) => p.seal(horizon));
  t.same(parts.map((p) => p.seal(horizon)), [{}, {}], 'sealing again hands nothing over');
  const merged: Record<string, string> = {};
  for (const s of sealed) for (const [k, v] of Object.entries(s)) merged[k] = merged[k] === undefined ? v : mergeStates(compileQuery(sql).plan, merged[k], v);
  const final = parts[0]!.finalRows(merged);
  const expected = closedWhole.filter((c) => Date.parse(c.row.window_start as string) + 10_000 <= horizon);
  t.same(final.closed, expected, 'final rows equal the single engine, in (end, key) order');
  t.ok(final.changes.every((c) => c.final), 'every final change is final');
  t.ok(parts.every((p) => p.sealed === horizon));
  const late = parts[0]!.apply([{ id: '2-0', ts: 0, data: { k: 'k0', v: 1 } }]);
  t.equal(late.late.length, 1, 'an event for a sealed window is late');
  t.end();
});

void t.test('MIN and MAX of texts order by code point, as DuckDB', (t) => {
  const e = engineFor('SELECT MIN(s) AS lo, MAX(s) AS hi FROM s');
  const res = e.apply([{ id: '1-0', ts: 1, data: { s: '😀' } }, { id: '1-1', ts: 1, data: { s: '\uFFFD' } }, { id: '1-2', ts: 1, data: { s: 'z' } }]);
  t.same(res.changes[0]!.row, { lo: 'z', hi: '😀' });
  t.end();
});

void t.test('NOT, AND and OR on a value that is not a boolean are NULL (the row is not kept)', (t) => {
  const rows = (where: string) => {
    const e = engineFor(`SELECT COUNT(*) AS n FROM s WHERE ${where}`);
    const res = e.apply([{ id: '1-0', ts: 1, data: { s: 'abc', b: true, f: false } }]);
    return res.changes[0]?.row.n ?? 0;
  };
  t.equal(rows('NOT s'), 0, 'NOT text is NULL');
  t.equal(rows('NOT (NOT s)'), 0);
  t.equal(rows('s OR b'), 1, 'NULL OR TRUE is TRUE');
  t.equal(rows('(s OR f) IS NULL'), 1, 'NULL OR FALSE is NULL');
  t.equal(rows('(s AND b) IS NULL'), 1, 'NULL AND TRUE is NULL');
  t.equal(rows('NOT (s AND f)'), 1, 'NULL AND FALSE is FALSE');
  t.end();
});

void t.test('SESSION: events exactly `gap` apart share a session (Flink, ksqlDB), even with no lateness', (t) => {
  const e = engineFor("SELECT k, COUNT(*) AS n, window_start, window_end FROM s GROUP BY k, SESSION(ts, INTERVAL '10' SECOND)");
  e.apply([{ id: '1-0', ts: 0, data: { k: 'a' } }]);
  e.apply([{ id: '1-1', ts: 10_000, data: { k: 'a' } }]);
  const closed = e.apply([{ id: '1-2', ts: 20_001, data: { k: 'a' } }]).closed;
  t.same(closed.map((c) => c.row), [{ k: 'a', n: 2, window_start: new Date(0).toISOString(), window_end: new Date(20_000).toISOString() }], 'one session [0, 20 s), closed once the watermark is past 20 s');
  t.same(e.rows().map((r) => r.row.n), [1], '20.001 s is more than a gap after 10 s: a new session');
  t.end();
});

void t.test('a SUM past 2^53 stays exact through HAVING, comparisons, arithmetic and CAST (was NULL)', (t) => {
  const e = engineFor('SELECT k, SUM(v) AS s, SUM(v) + 1 AS s1, SUM(v) * 2 AS s2, SUM(v) / 2 AS half, CAST(SUM(v) AS VARCHAR) AS txt, SUM(v) > 9007199254740991 AS big FROM s GROUP BY k HAVING SUM(v) > 9007199254740991');
  const max = Number.MAX_SAFE_INTEGER;
  const res = e.apply([{ id: '1-0', ts: 1, data: { k: 'a', v: max } }, { id: '1-1', ts: 1, data: { k: 'a', v: max } }, { id: '1-2', ts: 1, data: { k: 'b', v: 1 } }]);
  t.same(res.changes.map((c) => c.row), [{ k: 'a', s: '18014398509481982', s1: '18014398509481983', s2: '36028797018963964', half: 9007199254740991, txt: '18014398509481982', big: true }], 'the big group passes HAVING; the small one does not');
  t.end();
});

void t.test('arrays: MIN/MAX compare element by element (DuckDB), arr[1] is the first element', (t) => {
  const e = engineFor('SELECT k, MAX(arr) AS hi, MIN(arr) AS lo, MAX(arr[1]) AS first, MAX(arr[0]) AS none FROM s GROUP BY k');
  const res = e.apply([[10, 2], [9, 30], [10, 2, 1], [1, null], [1, 5]].map((arr, i) => ({ id: `1-${i}`, ts: 1, data: { k: 'a', arr } })));
  t.same(res.changes[0]!.row, { k: 'a', hi: [10, 2, 1], lo: [1, 5], first: 10, none: null }, 'as DuckDB: [10,2,1] > [10,2] > [9,30]; NULL elements sort last');
  t.throws(() => compileQuery('SELECT k, MAX(arr[i]) AS m FROM s GROUP BY k'), /syntax error|array subscript must be an integer constant/, 'a non-constant subscript is refused');
  t.end();
});

void t.test('an untyped field plus an INTERVAL is a time, from ISO text or epoch ms (was NULL for text)', (t) => {
  const e = engineFor("SELECT k, MAX(t + INTERVAL '1' HOUR) AS later, MIN(t - INTERVAL '30' MINUTE) AS earlier FROM s GROUP BY k");
  const res = e.apply([{ id: '1-0', ts: 1, data: { k: 'a', t: '2026-01-01T00:00:00Z' } }, { id: '1-1', ts: 1, data: { k: 'b', t: Date.UTC(2026, 0, 1) } }]);
  t.same(res.changes.map((c) => c.row), [
    { k: 'a', later: '2026-01-01T01:00:00.000Z', earlier: '2025-12-31T23:30:00.000Z' },
    { k: 'b', later: '2026-01-01T01:00:00.000Z', earlier: '2025-12-31T23:30:00.000Z' },
  ]);
  t.end();
});

void t.test('CAST to integer types: text ties away from zero, doubles to even, out of range NULL (DuckDB TRY_CAST)', (t) => {
  const e = engineFor("SELECT k, MAX(CAST(s AS INTEGER)) AS a, MAX(CAST(d AS INTEGER)) AS b, MAX(CAST(big AS INTEGER)) AS c, MAX(CAST(big AS BIGINT)) AS d, MAX(CAST(x AS TINYINT)) AS e, MAX(CAST(x AS SMALLINT)) AS f, MAX(CAST(huge AS BIGINT)) AS g FROM s GROUP BY k");
  const res = e.apply([{ id: '1-0', ts: 1, data: { k: 'a', s: '2.5', d: 2.5, big: 3_000_000_000, x: 300, huge: 1e19 } }, { id: '1-1', ts: 1, data: { k: 'b', s: '-2.5', d: 3.5, big: -5, x: -128, huge: 5 } }]);
  t.same(res.changes.map((c) => c.row), [
    { k: 'a', a: 3, b: 2, c: null, d: 3_000_000_000, e: null, f: 300, g: null },
    { k: 'b', a: -3, b: 4, c: -5, d: -5, e: -128, f: -128, g: 5 },
  ]);
  t.end();
});
