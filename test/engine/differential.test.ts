// Differential test: random query shapes over random events, the engine's change log against DuckDB.
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { createEngine } from '../../src/engine/index.js';
import type { Engine, Row, SourceEvent } from '../../src/engine/index.js';
import { rng } from '../helpers/rng.js';

const QUERIES_PER_DATASET = 80;
const DATASETS = 4;
const EVENTS = 240;
const LATENESS = 5000;

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const maybe = <T>(r: () => number, p: number, v: T): T | null => (r() < p ? null : v);

interface Ev { id: string; ts: number; k1: string | null; k2: number | null; a: number | null; b: number | null; s: string | null; flag: boolean | null }

// Event times rise with jitter below the lateness, so no event is ever late.
function makeEvents(r: () => number): Ev[] {
  const out: Ev[] = [];
  let base = 1_767_225_600_000 + Math.floor(r() * 100_000);
  for (let i = 0; i < EVENTS; i++) {
    base += Math.floor(r() * 2500);
    out.push({
      id: `e${String(i).padStart(5, '0')}`,
      ts: base - Math.floor(r() * LATENESS),
      k1: maybe(r, 0.1, pick(r, ['x', 'y', 'z', 'w'])),
      k2: maybe(r, 0.1, Math.floor(r() * 3)),
      a: maybe(r, 0.15, Math.floor(r() * 41) - 10),
      b: maybe(r, 0.15, Math.round((r() * 200 - 50) * 100) / 100),
      s: maybe(r, 0.1, pick(r, ['alpha', 'beta', 'ab', 'Gamma', 'delta', 'a'])),
      flag: maybe(r, 0.1, r() < 0.5),
    });
  }
  return out;
}

interface Shape { ours: string; duck: string; keyCount: number; windowed: boolean; emitFinal: boolean }

const keyChoices = [
  ['k1', 'k1'], ['k2', 'k2'], ['a % 3', 'a % 3'], ["COALESCE(k1, 'none')", "COALESCE(k1, 'none')"],
  ['LOWER(s)', 'LOWER(s)'], ["CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' END", "CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' END"],
  ['flag', 'flag'], ['LENGTH(s)', 'LENGTH(s)'],
] as const;
const whereChoices = [
  'a > 0', 'b < 50.5', "k1 IN ('x', 'y')", "s LIKE 'a%'", 'flag', 'a IS NOT NULL AND b > 10', 'NOT (k2 = 1)',
  'a BETWEEN -5 AND 5', '(a > 10 OR b < 0)', "s ILIKE '%A%'", 'k2 IS NULL OR k2 <> 2', 'ABS(a) < 8', "COALESCE(s, '') <> 'beta'",
];
const aggChoices: [string, string][] = [
  ['COUNT(*)', 'COUNT(*)'], ['COUNT(a)', 'COUNT(a)'], ['COUNT(DISTINCT k1)', 'COUNT(DISTINCT k1)'], ['SUM(a)', 'SUM(a)'],
  ['SUM(b)', 'SUM(b)'], ['AVG(a)', 'AVG(a)'], ['AVG(b)', 'AVG(b)'], ['MIN(a)', 'MIN(a)'], ['MAX(b)', 'MAX(b)'],
  ['MIN(s)', 'MIN(s)'], ['MAX(s)', 'MAX(s)'], ['STDDEV_POP(b)', 'STDDEV_POP(b)'], ['STDDEV_SAMP(a)', 'STDDEV_SAMP(a)'],
  ['VAR_POP(a)', 'VAR_POP(a)'], ['VAR_SAMP(b)', 'VAR_SAMP(b)'], ['SUM(a * 2 + 1)', 'SUM(a * 2 + 1)'],
  ['FIRST_VALUE(a)', 'arg_min(a, ts * 100000 + seq) FILTER (WHERE a IS NOT NULL)'],
  ['LAST_VALUE(b)', 'arg_max(b, ts * 100000 + seq) FILTER (WHERE b IS NOT NULL)'],
  ['SUM(a) FILTER (WHERE b > 0)', 'SUM(a) FILTER (WHERE b > 0)'], ['COUNT(*) FILTER (WHERE flag)', 'COUNT(*) FILTER (WHERE flag)'],
  ['MAX(a) - MIN(a)', 'MAX(a) - MIN(a)'], ['SUM(DISTINCT a)', 'SUM(DISTINCT a)'], ['AVG(DISTINCT a)', 'AVG(DISTINCT a)'],
  ['MIN(b) FILTER (WHERE k1 = \'x\')', 'MIN(b) FILTER (WHERE k1 = \'x\')'], ['COUNT(s)', 'COUNT(s)'],
  ['SUM(CASE WHEN flag THEN 1 ELSE 0 END)', 'SUM(CASE WHEN flag THEN 1 ELSE 0 END)'], ['MAX(ROUND(b))', 'MAX(ROUND(b))'],
  ['ARRAY_AGG(a)', 'list(a ORDER BY ts, seq)'], ['COUNT(DISTINCT k2) FILTER (WHERE a > 0)', 'COUNT(DISTINCT k2) FILTER (WHERE a > 0)'],
];
const havingChoices = ['COUNT(*) > 2', 'SUM(a) > 0', 'MAX(b) < 90', 'COUNT(a) >= 1 AND MIN(a) < 5'];

type Win = { ours: string; from: string; where: string; start: string; end: string } | null;
function windowChoice(r: () => number): Win {
  switch (Math.floor(r() * 4)) {
    case 0: return null;
    case 1: {
      const size = pick(r, [10_000, 60_000]);
      return { ours: `TUMBLE(ts, INTERVAL '${size / 1000}' SECOND)`, from: '', where: '', start: `(ts // ${size}) * ${size}`, end: `(ts // ${size}) * ${size} + ${size}` };
    }
    case 2: {
      const [slide, size] = pick(r, [[10_000, 30_000], [20_000, 60_000], [15_000, 45_000]] as const);
      return {
        ours: `HOP(ts, INTERVAL '${slide / 1000}' SECOND, INTERVAL '${size / 1000}' SECOND)`,
        from: `, unnest(range((ts // ${slide}) * ${slide} - ${Math.floor((size - 1) / slide) * slide}, (ts // ${slide}) * ${slide} + 1, ${slide})) AS w(ws)`,
        where: `ws + ${size} > ts`, start: 'ws', end: `ws + ${size}`,
      };
    }
    default: {
      const [step, max] = pick(r, [[10_000, 60_000], [20_000, 60_000]] as const);
      return {
        ours: `CUMULATE(ts, INTERVAL '${step / 1000}' SECOND, INTERVAL '${max / 1000}' SECOND)`,
        from: `, unnest(range((ts // ${max}) * ${max} + ((ts - (ts // ${max}) * ${max}) // ${step}) * ${step} + ${step}, (ts // ${max}) * ${max} + ${max} + 1, ${step})) AS w(we)`,
        where: '', start: `(ts // ${max}) * ${max}`, end: 'we',
      };
    }
  }
}

function makeShape(r: () => number): Shape {
  const win = windowChoice(r);
  const keys = keyChoices.filter(() => r() < 0.3).slice(0, 2);
  const nAggs = 1 + Math.floor(r() * 4);
  const aggs = Array.from({ length: nAggs }, () => pick(r, aggChoices));
  const where = r() < 0.5 ? pick(r, whereChoices) : undefined;
  const having = r() < 0.25 ? pick(r, havingChoices) : undefined;
  const ourSel = [...keys.map(([o], i) => `${o} AS k${i}`), ...(win ? ['window_start', 'window_end'] : []), ...aggs.map(([o], i) => `${o} AS c${i}`)];
  const ourGroup = [...keys.map(([o]) => o), ...(win ? [win.ours] : [])];
  const ours = `SELECT ${ourSel.join(', ')} FROM events${where ? ` WHERE ${where}` : ''}${ourGroup.length ? ` GROUP BY ${ourGroup.join(', ')}` : ''}${having ? ` HAVING ${having}` : ''}`;
  const duckSel = [...keys.map(([, d], i) => `${d} AS k${i}`), ...(win ? [`${win.start} AS window_start`, `${win.end} AS window_end`] : []), ...aggs.map(([, d], i) => `${d} AS c${i}`)];
  const duckGroup = [...keys.map(([, d]) => d), ...(win ? [win.start, win.end] : [])];
  const conds = [where, win?.where].filter((c) => c);
  const duck = `SELECT ${duckSel.join(', ')} FROM events${win?.from ?? ''}${conds.length ? ` WHERE ${conds.map((c) => `(${c})`).join(' AND ')}` : ''}${duckGroup.length ? ` GROUP BY ${duckGroup.join(', ')}` : ''}${having ? ` HAVING ${having}` : ''}`;
  return { ours, duck, keyCount: keys.length, windowed: win !== null, emitFinal: win !== null && r() < 0.3 };
}

function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v ?? null;
}

function rowId(row: Row, keyCount: number, windowed: boolean): string {
  const parts: unknown[] = [];
  for (let i = 0; i < keyCount; i++) parts.push(norm(row[`k${i}`]));
  if (windowed) parts.push(row.window_start, row.window_end);
  return JSON.stringify(parts);
}

function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => close(x, norm(b[i])));
  return a === b;
}

async function duckRows(conn: DuckDBConnection, sql: string, windowed: boolean): Promise<Row[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS().map((r) => {
    const row: Row = {};
    for (const [k, v] of Object.entries(r)) row[k] = norm(v);
    if (windowed) {
      row.window_start = new Date(Number(row.window_start)).toISOString();
      row.window_end = new Date(Number(row.window_end)).toISOString();
    }
    return row;
  });
}

// Runs the engine over random batches, sometimes checkpointing through takeDelta/load, and replays its changes.
function engineRows(shape: Shape, events: Ev[], r: () => number): Row[] {
  const plan = compileQuery(shape.ours).plan;
  const opts = { emit: shape.emitFinal ? ('final' as const) : ('changes' as const), latenessMs: LATENESS, idleTimeoutMs: 1 };
  let engine: Engine = createEngine(plan, opts);
  const table = new Map<string, Row>();
  const hash: Record<string, string> = {};
  const apply = (res: ReturnType<Engine['apply']>): void => {
    for (const c of res.changes) {
      if (c.op === 'upsert') table.set(c.key, c.row);
      else table.delete(c.key);
    }
  };
  const checkpoint = r() < 0.4;
  for (let i = 0; i < events.length;) {
    const n = 1 + Math.floor(r() * 40);
    const batch: SourceEvent[] = events.slice(i, i + n).map((e, j) => ({ id: e.id, ts: e.ts, data: { k1: e.k1, k2: e.k2, a: e.a, b: e.b, s: e.s, flag: e.flag, seq: i + j } }));
    i += n;
    apply(engine.apply(batch));
    if (checkpoint) {
      const d = engine.takeDelta();
      for (const k of d.del) delete hash[k];
      Object.assign(hash, d.set);
      if (r() < 0.3) {
        engine = createEngine(plan, opts);
        engine.load({ ...hash }, d.meta);
      }
    }
  }
  if (shape.emitFinal) {
    apply(engine.advanceIdle(0));
    apply(engine.advanceIdle(1e13));
  }
  return [...table.values()];
}

void t.test('the engine agrees with DuckDB on random query shapes', async (t) => {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  let shapes = 0;
  let rows = 0;
  for (let d = 0; d < DATASETS; d++) {
    const r = rng(1000 + d);
    const events = makeEvents(r);
    await conn.run('DROP TABLE IF EXISTS events');
    await conn.run('CREATE TABLE events (id VARCHAR, seq BIGINT, ts BIGINT, k1 VARCHAR, k2 INTEGER, a INTEGER, b DOUBLE, s VARCHAR, flag BOOLEAN)');
    const lit = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : JSON.stringify(v));
    const values = events.map((e, i) => `(${[e.id, i, e.ts, e.k1, e.k2, e.a, e.b, e.s, e.flag].map(lit).join(', ')})`).join(',\n');
    await conn.run(`INSERT INTO events VALUES ${values}`);
    for (let q = 0; q < QUERIES_PER_DATASET; q++) {
      const shape = makeShape(r);
      const expected = await duckRows(conn, shape.duck, shape.windowed);
      const actual = engineRows(shape, events, r);
      const exp = new Map(expected.map((row) => [rowId(row, shape.keyCount, shape.windowed), row]));
      const act = new Map(actual.map((row) => [rowId(row, shape.keyCount, shape.windowed), row]));
      const mismatches: string[] = [];
      for (const [id, row] of exp) {
        const mine = act.get(id);
        if (!mine) mismatches.push(`missing ${id}`);
        else for (const [col, v] of Object.entries(row)) if (!close(norm(mine[col]), v)) mismatches.push(`${id} ${col}: engine ${JSON.stringify(mine[col])} duckdb ${JSON.stringify(v)}`);
      }
      for (const id of act.keys()) if (!exp.has(id)) mismatches.push(`extra ${id}`);
      shapes++;
      rows += exp.size;
      if (mismatches.length > 0) t.fail(`${shape.ours}\n${shape.duck}\n${mismatches.slice(0, 5).join('\n')}`);
    }
  }
  t.equal(shapes, DATASETS * QUERIES_PER_DATASET, `${shapes} query shapes compared`);
  t.ok(shapes >= 300);
  t.ok(rows > 3000, `${rows} result rows compared`);
  conn.closeSync();
});
