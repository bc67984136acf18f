// Fields a stream's schema declares DECIMAL(p, s): ingest refuses values that would need rounding
// (naming the event and field, writing nothing), and queries sum them exactly — SUM, MIN, MAX, AVG
// and arithmetic over random money values, through real ingest and a real Redis, equal DuckDB over
// a DECIMAL(12, 2) column.
import t from 'tap';
import { DuckDBInstance } from '@duckdb/node-api';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';
import { waitUntil } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' };
const SCHEMA = { type: 'object', properties: { k: { type: 'string' }, amount: { 'x-sql-type': 'DECIMAL(12, 2)' } }, required: ['k'] };

t.test('a declared type that is not DECIMAL(p, s) is refused, naming the property', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  for (const bad of ['DECIMAL(40, 2)', 'DECIMAL(2, 3)', 'MONEY', 12]) {
    const res = await app.inject({ method: 'PUT', url: '/v1/streams/pay', payload: { schema: { type: 'object', properties: { amount: { 'x-sql-type': bad } } } } });
    const p = assertProblem(t, res, 400, 'SG_ERR_BAD_SCHEMA');
    t.equal(p.errors?.[0]?.field, '/schema/properties/amount/x-sql-type', `${JSON.stringify(bad)} names the property`);
  }
  t.equal(await r.client.exists(keys.streamRegistry()), 0, 'nothing stored');
});

t.test('ingest refuses a value that does not fit the declared DECIMAL exactly, and writes nothing', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/pay', payload: { schema: SCHEMA } })).statusCode, 200);
  for (const bad of [19.999, '0.001', '12345678901.00', 'abc', true, 1e21]) {
    const res = await app.inject({ method: 'POST', url: '/v1/streams/pay/events', payload: [{ k: 'a', amount: 1.5 }, { k: 'a', amount: bad }] });
    const p = assertProblem(t, res, 400, 'SG_ERR_BAD_EVENTS');
    t.match(p.errors?.[0], { index: 1, field: '/amount' }, `${JSON.stringify(bad)}: names the event and field`);
    t.match(p.errors?.[0]?.message, /DECIMAL\(12, 2\)/);
  }
  t.equal(await r.client.xLen(keys.events(part('pay', 0))), 0, 'nothing written');
  const ok = await app.inject({ method: 'POST', url: '/v1/streams/pay/events', payload: [{ k: 'a', amount: '19.90' }, { k: 'a', amount: 0.1 }, { k: 'a', amount: -9999999999.99 }, { k: 'a', amount: null }, { k: 'a' }] });
  t.equal(ok.statusCode, 201, 'numbers, numeric text with trailing zeros, NULL and a missing field are accepted');
});

t.test('SUM, MIN, MAX, AVG and arithmetic over declared money equal DuckDB over DECIMAL(12, 2)', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/pay', payload: { schema: SCHEMA } })).statusCode, 200);
  const sql = 'SELECT k, SUM(amount) AS total, MIN(amount) AS lo, MAX(amount) AS hi, AVG(amount) AS mean, SUM(amount * 3) AS triple, COUNT(*) AS n FROM pay WHERE amount <> 0.3 GROUP BY k';
  const created = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql, start: 'earliest' } });
  t.equal(created.statusCode, 201, created.body);
  const { id, columns } = created.json<{ id: string; columns: { name: string; type: string }[] }>();
  t.same(columns.find((c) => c.name === 'total')?.type, 'decimal', 'the declared field is typed DECIMAL');

  const rand = rng(12);
  const events: { k: string; amount: number | string }[] = [];
  for (let i = 0; i < 3_000; i++) {
    // Cents across the whole DECIMAL(12, 2) range or small ones; every 50th a 0.1 or a 0.2.
    const range = rand() < 0.5 ? 2e12 - 2 : 20_000;
    const cents = Math.floor(rand() * range) - range / 2;
    const abs = Math.abs(cents);
    const text = `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
    // Half as JSON numbers (their shortest text is the decimal), half as text.
    const amount = i % 50 === 0 ? (i % 100 === 0 ? 0.1 : 0.2) : i % 2 === 0 ? Number(text) : text;
    events.push({ k: `k${i % 7}`, amount });
  }
  for (let i = 0; i < events.length; i += 500) {
    const res = await app.inject({ method: 'POST', url: '/v1/streams/pay/events', payload: events.slice(i, i + 500) });
    t.equal(res.statusCode, 201, res.body);
  }
  await waitUntil('caught up', async () => (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ processed: number }>().processed === events.length);
  const rows = (await app.inject({ method: 'GET', url: `/v1/queries/${id}/results` })).json<{ rows: Record<string, unknown>[] }>().rows;

  const duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run('CREATE TABLE pay (k VARCHAR, amount DECIMAL(12, 2))');
  for (let i = 0; i < events.length; i += 500) {
    await duck.run(`INSERT INTO pay VALUES ${events.slice(i, i + 500).map((e) => `('${e.k}', '${String(e.amount)}')`).join(', ')}`);
  }
  const want = (await duck.runAndReadAll(
    'SELECT k, CAST(SUM(amount) AS VARCHAR) AS total, CAST(MIN(amount) AS VARCHAR) AS lo, CAST(MAX(amount) AS VARCHAR) AS hi, AVG(amount) AS mean, CAST(SUM(amount * 3) AS VARCHAR) AS triple, COUNT(*) AS n FROM pay WHERE amount <> 0.3 GROUP BY k ORDER BY k',
  )).getRowObjectsJS();
  t.equal(rows.length, want.length, `${want.length} groups`);
  const text = (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : String(v));
  for (const w of want as Record<string, string | number | bigint>[]) {
    const row = rows.find((x) => x.k === w.k);
    t.ok(row, `group ${String(w.k)} is there`);
    if (!row) continue;
    t.same([text(row.total), text(row.lo), text(row.hi), text(row.triple), row.n], [w.total, w.lo, w.hi, w.triple, Number(w.n)], `group ${String(w.k)}: SUM ${text(row.total)}, MIN, MAX, SUM(x * 3), COUNT exact`);
    t.ok(Math.abs(Number(row.mean) - Number(w.mean)) <= Math.abs(Number(w.mean)) * 1e-12, `group ${String(w.k)}: AVG ${String(row.mean)} (DuckDB ${String(w.mean)})`);
  }
  const small = await app.inject({ method: 'POST', url: '/v1/queries/validate', payload: { sql: 'SELECT k, SUM(amount) AS s, SUM(amount) = 0.3 AS exact FROM pay GROUP BY k', events: [{ k: 'a', amount: 0.1 }, { k: 'a', amount: 0.2 }] } });
  t.same(small.json<{ rows: unknown[] }>().rows, [{ k: 'a', s: 0.3, exact: true }], 'validate reads the declared type too: 0.1 + 0.2 = 0.3');
});
