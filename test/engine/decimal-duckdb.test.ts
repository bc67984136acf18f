// DECIMAL is exact, as in DuckDB: decimal literals, CAST(x AS DECIMAL(p, s)), arithmetic, ROUND,
// FLOOR, CEIL, TRUNC, ABS, SIGN, MOD, GREATEST, and SUM / MIN / MAX / AVG over money values,
// compared with DuckDB as text (CAST … AS VARCHAR keeps the scale: 0.10 stays 0.10).
import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { createEngine } from '../../src/engine/index.js';
import { rng } from '../helpers/rng.js';

const SCALARS = [
  '0.1 + 0.2', '0.1 + 0.2 = 0.3', 'ROUND(0.285, 2)', 'ROUND(2.5)', 'ROUND(-2.5)', 'ROUND(1234.5678, -2)', '0.1 * 0.2', '1.5 % 0.4', '0.1 + 3', '1.5 * 2',
  'ABS(-1.50)', 'FLOOR(1.55)', 'FLOOR(-1.55)', 'CEIL(1.05)', 'CEIL(-1.05)', 'TRUNC(1.579, 2)', 'TRUNC(-1.579)', 'SIGN(-0.5)', '-0.5', '0.10',
  'GREATEST(0.1, 2)', 'LEAST(0.1, 0.05)', 'CAST(1.005 AS DECIMAL(5, 2))', 'CAST(-1.005 AS DECIMAL(5, 2))', "CAST('12.345' AS DECIMAL(10, 2))",
  '123456789012345678901.5 + 0.5', '99999999999999999999 + 1', 'CAST(2.5 AS INTEGER)', 'CAST(-2.5 AS INTEGER)', '0.3 - 0.1 = 0.2', '1.10 > 1.1',
  'COALESCE(NULL, 0.10)', 'NULLIF(0.10, 0.1)', '(0.1 + 0.2) * 10 = 3', 'CAST(0.125 AS DECIMAL(4, 2))', 'CAST(0.135 AS DECIMAL(4, 2))',
];

const asText = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v));

void t.test('decimal expressions print exactly as DuckDB prints them', async (t) => {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const engineRow = (sql: string) => {
    const e = createEngine(compileQuery(sql).plan, { emit: 'changes', latenessMs: 0 });
    e.apply([{ id: '0-1', ts: 1, data: { k: 1 } }]);
    return e.rows()[0]!.row;
  };
  for (const expr of SCALARS) {
    const duck = (await conn.runAndReadAll(`SELECT CAST(${expr} AS VARCHAR) AS v`)).getRowObjectsJS()[0]!.v;
    const ours = engineRow(`SELECT k, CAST(${expr} AS VARCHAR) AS v, COUNT(*) AS n FROM s GROUP BY k`).v;
    t.equal(asText(ours), asText(duck), expr);
  }
  conn.closeSync();
});

void t.test('SUM, MIN, MAX and AVG of money are exact and merge exactly (random values, DuckDB as oracle)', async (t) => {
  const r = rng(2026);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run('CREATE TABLE s (k VARCHAR, amount VARCHAR)');
  const events = Array.from({ length: 3000 }, (_, i) => ({ id: `0-${i}`, ts: i, data: { k: `k${Math.floor(r() * 7)}`, amount: `${r() < 0.5 ? '-' : ''}${Math.floor(r() * 100_000)}.${String(Math.floor(r() * 100)).padStart(2, '0')}` } }));
  await conn.run(`INSERT INTO s VALUES ${events.map((e) => `('${e.data.k}', '${e.data.amount}')`).join(', ')}`);
  const sql = 'SELECT k, CAST(SUM(CAST(amount AS DECIMAL(12, 2))) AS VARCHAR) AS total, CAST(MIN(CAST(amount AS DECIMAL(12, 2))) AS VARCHAR) AS lo, CAST(MAX(CAST(amount AS DECIMAL(12, 2))) AS VARCHAR) AS hi, AVG(CAST(amount AS DECIMAL(12, 2))) AS mean, SUM(CAST(amount AS DECIMAL(12, 2)) * 3) = SUM(CAST(amount AS DECIMAL(12, 2))) * 3 AS linear FROM s GROUP BY k';
  const expected = new Map((await conn.runAndReadAll(sql)).getRowObjectsJS().map((row) => [row.k, row]));
  // Split over two engines and merged, as partitions are: the merge must be exact too.
  const plan = compileQuery(sql).plan;
  const a = createEngine(plan, { emit: 'changes', latenessMs: 0 });
  const b = createEngine(plan, { emit: 'changes', latenessMs: 0 });
  a.apply(events.filter((_, i) => i % 2 === 0));
  b.apply(events.filter((_, i) => i % 2 === 1));
  const da = a.takeDelta();
  const db = b.takeDelta();
  const { mergeStates } = await import('../../src/engine/query-engine.js');
  const merged: Record<string, string> = {};
  for (const [key, text] of Object.entries(da.set)) merged[key] = db.set[key] ? mergeStates(plan, text, db.set[key]) : text;
  const m = createEngine(plan, { emit: 'changes', latenessMs: 0 });
  m.load(merged, da.meta);
  for (const { row } of m.rows()) {
    const want = expected.get(row.k as string)!;
    t.same({ total: row.total, lo: row.lo, hi: row.hi, linear: row.linear }, { total: want.total, lo: want.lo, hi: want.hi, linear: want.linear }, `group ${String(row.k)}: exact after a merge`);
    t.ok(Math.abs((row.mean as number) - (want.mean as number)) < 1e-9, `group ${String(row.k)}: AVG ${String(row.mean)}`);
  }
  t.equal(m.rows().length, expected.size);
  conn.closeSync();
});
