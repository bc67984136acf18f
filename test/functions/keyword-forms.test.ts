// POSITION(x IN s), TRIM([BOTH | LEADING | TRAILING] [chars] FROM s), TRIM(s, chars), REGEXP_LIKE /
// REGEXP_EXTRACT / REGEXP_REPLACE against DuckDB; TIMESTAMPDIFF (Flink's and MySQL's whole units),
// DATE literals and time differences by hand; RE2 matching stays linear on a hostile pattern.
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { compileQuery } from '../../src/sql/compile.js';
import { createEngine } from '../../src/engine/index.js';

const DATA = { k: 1, s: 'xxabbbyab', u: 'Ünïcode😀 text', e: '', t1: '2026-01-31T10:00:00Z', t2: '2026-03-01T09:00:00Z' };

function ours(expr: string, data: Record<string, unknown> = DATA): unknown {
  const engine = createEngine(compileQuery(`SELECT k, ${expr} AS v, COUNT(*) AS n FROM s GROUP BY k, v`).plan, { emit: 'changes', latenessMs: 0 });
  engine.apply([{ id: '0-1', ts: Date.UTC(2026, 0, 1), data }]);
  return engine.rows()[0]!.row.v;
}

// [ours, DuckDB's spelling when it differs]
const CASES: [string, string?][] = [
  ["POSITION('b' IN s)"], ["POSITION('😀' IN u)"], ["POSITION('z' IN s)"], ["POSITION('' IN s)"],
  ["TRIM(BOTH 'x' FROM s)"], ["TRIM(LEADING 'x' FROM s)"], ["TRIM(TRAILING 'by' FROM s)"], ["TRIM(LEADING FROM '  a  ')"], ["TRIM(TRAILING FROM '  a  ')"], ["TRIM('xxaxx', 'x')"], ["TRIM(BOTH 'Ü😀' FROM u)"],
  ["REGEXP_EXTRACT(s, 'a(b+)', 1)"], ["REGEXP_EXTRACT(s, 'a(b+)')"], ["REGEXP_EXTRACT(s, 'q(b+)', 1)"], ["REGEXP_EXTRACT(u, '(\\w+)😀', 1)"],
  ["REGEXP_REPLACE(s, 'a(b+)', '<\\1>')"], ["REGEXP_REPLACE(s, 'a(b+)', '<\\1>', 'g')"], ["REGEXP_REPLACE(s, 'A', '$', 'gi')"], ["REGEXP_REPLACE(e, 'x*', '-', 'g')"],
  ["REGEXP_LIKE(s, 'b{3}')", "regexp_matches(s, 'b{3}')"], ["REGEXP_LIKE(s, '^ab')", "regexp_matches(s, '^ab')"], ["REGEXP_LIKE(u, 'CODE', 'i')", "regexp_matches(u, 'CODE', 'i')"],
];

void t.test('keyword forms and regular expressions agree with DuckDB', async (t) => {
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  await conn.run('CREATE TABLE s (k INTEGER, s VARCHAR, u VARCHAR, e VARCHAR)');
  await conn.run(`INSERT INTO s VALUES (1, '${DATA.s}', '${DATA.u}', '')`);
  for (const [expr, duckExpr] of CASES) {
    const want = (await conn.runAndReadAll(`SELECT ${duckExpr ?? expr} AS v FROM s`)).getRowObjectsJS()[0]!.v;
    t.same(ours(expr), typeof want === 'bigint' ? Number(want) : want, `${expr} = ${typeof want === "bigint" ? want.toString() : JSON.stringify(want)}`);
  }
  conn.closeSync();
});

void t.test('TIMESTAMPDIFF counts whole units (months by the calendar); DATE literals; time minus time is milliseconds', (t) => {
  t.equal(ours('TIMESTAMPDIFF(SECOND, t1, t2)'), 2_502_000);
  t.equal(ours('TIMESTAMPDIFF(DAY, t1, t2)'), 28, 'not 29: the last day is not complete');
  t.equal(ours('TIMESTAMPDIFF(MONTH, t1, t2)'), 1, 'Jan 31 10:00 to Mar 1 09:00: one whole month, not two (MySQL gives 1)');
  t.equal(ours("TIMESTAMPDIFF(MONTH, TIMESTAMP '2026-01-15 00:00:00', TIMESTAMP '2026-03-15 00:00:00')"), 2);
  t.equal(ours("TIMESTAMPDIFF(YEAR, TIMESTAMP '2024-02-29 00:00:00', TIMESTAMP '2026-02-28 00:00:00')"), 1);
  t.equal(ours('TIMESTAMPDIFF(HOUR, t2, t1)'), -695, 'negative when the second is earlier');
  t.equal(ours("DATE '2026-01-02'"), '2026-01-02T00:00:00.000Z');
  t.equal(ours("TIMESTAMP '2026-01-02 00:00:01' - DATE '2026-01-02'"), 1000);
  t.throws(() => compileQuery("SELECT TIMESTAMPDIFF(FORTNIGHT, t1, t2) AS v, COUNT(*) AS n FROM s GROUP BY v"), /TIMESTAMPDIFF takes a unit first/);
  t.throws(() => compileQuery("SELECT DATE '2026-02-30' AS v, COUNT(*) AS n FROM s GROUP BY v"), /invalid DATE literal/);
  const windowed = createEngine(compileQuery("SELECT window_end - window_start AS width, COUNT(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)").plan, { emit: 'changes', latenessMs: 0 });
  windowed.apply([{ id: '0-1', ts: 5_000, data: {} }]);
  t.equal(windowed.rows()[0]!.row.width, 60_000, 'window_end - window_start');
  t.end();
});

void t.test('RE2 stays linear: a catastrophic-backtracking pattern over 200 KB answers at once; bad patterns are errors', (t) => {
  const started = performance.now();
  t.equal(ours("REGEXP_LIKE(big, '(a+)+$')", { k: 1, big: `${'a'.repeat(200_000)}!` }), false);
  t.ok(performance.now() - started < 5_000, `${(performance.now() - started).toFixed(0)} ms`);
  t.throws(() => ours("REGEXP_LIKE(s, '(a')"), /missing closing/);
  t.throws(() => ours("REGEXP_EXTRACT(s, 'a', 2)"), /no group 2/);
  t.throws(() => ours("LENGTH(REGEXP_REPLACE(big, '', 'xxxxxxxxxxxxxxxxxxxx', 'g'))", { k: 1, big: 'a'.repeat(100_000) }), /over the limit/);
  t.end();
});
