// Scalar expressions against DuckDB: random typed expressions as GROUP BY keys over the same events.
import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { createEngine } from '../../src/engine/index.js';
import { rng } from '../helpers/rng.js';

const EXPRESSIONS = 250;


type Gen = (r: () => number, depth: number) => string;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

// Division only by non-zero constants: DuckDB's x/0 is Infinity where ours is NULL (documented).
const num: Gen = (r, d) => {
  if (d <= 0 || r() < 0.3) return pick(r, ['a', 'b', 'k2', '3', '-2', '0.5', 'a', 'b']);
  const x = (): string => num(r, d - 1);
  return pick(r, [
    () => `(${x()} + ${x()})`, () => `(${x()} - ${x()})`, () => `(${x()} * ${x()})`, () => `(${x()} / 4)`,
    () => `ABS(${x()})`, () => `ROUND(${x()}, 1)`, () => `FLOOR(${x()})`, () => `CEIL(${x()})`, () => `MOD(a, 4)`, () => `(a % 3)`,
    () => `POWER(${x()}, 2)`, () => `SQRT(ABS(${x()}))`, () => `CAST(${x()} AS INTEGER)`, () => `COALESCE(${x()}, 0)`,
    () => `NULLIF(${x()}, 0)`, () => `CASE WHEN ${bool(r, d - 1)} THEN ${x()} ELSE ${x()} END`, () => `-(${x()})`, () => `LENGTH(${str(r, d - 1)})`,
    () => `CASE ${pick(r, ['k2', 'a'])} WHEN 1 THEN 10 WHEN 2 THEN ${x()} END`,
  ])();
};
const str: Gen = (r, d) => {
  if (d <= 0 || r() < 0.3) return pick(r, ['s', 'k1', "'ab'", 's']);
  const x = (): string => str(r, d - 1);
  return pick(r, [
    () => `LOWER(${x()})`, () => `UPPER(${x()})`, () => `SUBSTRING(${x()}, 2, 2)`, () => `CONCAT(${x()}, ${x()})`, () => `(${x()} || ${x()})`,
    () => `TRIM(${x()})`, () => `CAST(a AS VARCHAR)`, () => `COALESCE(${x()}, 'none')`, () => `CASE WHEN ${bool(r, d - 1)} THEN ${x()} END`,
    () => `REPLACE(${x()}, 'a', 'x')`,
  ])();
};
const bool: Gen = (r, d) => {
  if (d <= 0 || r() < 0.2) return pick(r, ['flag', '(a > 0)', '(b < 10)', "(k1 = 'x')"]);
  const n = (): string => num(r, d - 1);
  const s = (): string => str(r, d - 1);
  const b = (): string => bool(r, d - 1);
  return pick(r, [
    () => `(${n()} ${pick(r, ['=', '<>', '<', '<=', '>', '>='])} ${n()})`, () => `(${s()} ${pick(r, ['=', '<>', '<', '>'])} ${s()})`,
    () => `(${b()} AND ${b()})`, () => `(${b()} OR ${b()})`, () => `(NOT (${b()}))`, () => `(${s()} LIKE '${pick(r, ['a%', '%a', '_l%', '%et%', 'a'])}')`,
    () => `(${s()} ILIKE '%A%')`, () => `(${n()} IN (1, 2, ${n()}))`, () => `(${n()} NOT IN (0, 3))`, () => `(${n()} BETWEEN -2 AND 5)`,
    () => `(${n()} IS NULL)`, () => `(${s()} IS NOT NULL)`, () => `((${b()}) IS TRUE)`, () => `((${b()}) IS NOT FALSE)`,
  ])();
};

function key(v: unknown): string {
  if (typeof v === 'bigint') return String(Number(v));
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(10);
  return JSON.stringify(v ?? null);
}

void t.test('random scalar expressions group the events exactly as DuckDB does', async (t) => {
  const r = rng(99);
  const events = Array.from({ length: 200 }, (_, i) => ({
    id: `e${i}`, ts: i,
    data: {
      a: r() < 0.15 ? null : Math.floor(r() * 21) - 10,
      b: r() < 0.15 ? null : Math.round((r() * 40 - 10) * 100) / 100,
      k1: r() < 0.1 ? null : pick(r, ['x', 'y', 'Z']),
      k2: r() < 0.1 ? null : Math.floor(r() * 4),
      s: r() < 0.1 ? null : pick(r, ['alpha', 'Beta', ' ab ', 'a', 'delta', 'Alp']),
      flag: r() < 0.1 ? null : r() < 0.5,
    },
  }));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run('CREATE TABLE events (a INTEGER, b DOUBLE, k1 VARCHAR, k2 INTEGER, s VARCHAR, flag BOOLEAN)');
  const lit = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
  await conn.run(`INSERT INTO events VALUES ${events.map((e) => `(${[e.data.a, e.data.b, e.data.k1, e.data.k2, e.data.s, e.data.flag].map(lit).join(', ')})`).join(', ')}`);
  let compared = 0;
  for (let i = 0; i < EXPRESSIONS; i++) {
    const kind = pick(r, [num, str, bool]);
    let expr = kind(r, 3);
    // A constant in GROUP BY may be read as a column position; only expressions over fields are compared.
    while (!/\b(a|b|k1|k2|s|flag)\b/.test(expr.replace(/'[^']*'/g, ''))) expr = kind(r, 3);
    const sql = `SELECT ${expr} AS g, COUNT(*) AS n FROM events GROUP BY ${expr}`;
    const duck = (await conn.runAndReadAll(sql).catch((err: Error) => {
      throw new Error(`${sql}: ${err.message}`);
    })).getRowObjectsJS();
    const expected = new Map(duck.map((row) => [key(row.g), Number(row.n)]));
    let plan;
    try {
      plan = compileQuery(sql).plan;
    } catch (err) {
      t.fail(`${sql}: ${(err as Error).message}`);
      continue;
    }
    const engine = createEngine(plan, { emit: 'changes', latenessMs: 0 });
    engine.apply(events);
    const actual = new Map(engine.rows().map(({ row }) => [key(row.g), row.n as number]));
    t.same(Object.fromEntries(actual), Object.fromEntries(expected), sql);
    compared++;
  }
  t.equal(compared, EXPRESSIONS);
  conn.closeSync();
});
