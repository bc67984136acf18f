// A query started from the archive reads every archived entry of each partition, then the live
// stream after the archive's last id: its results equal DuckDB over everything ever ingested, with
// nothing counted twice at the seam, while archiving and trimming go on during its backfill.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from '../helpers/oracle.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

const PARTITIONS = 3;
const QUERIES = [
  { sql: 'SELECT user, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY user', oracle: 'SELECT user, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY user' },
  { sql: 'SELECT region, MIN(amount) AS lo, MAX(amount) AS hi, COUNT(*) AS n FROM orders GROUP BY region', oracle: 'SELECT region, MIN(amount) AS lo, MAX(amount) AS hi, COUNT(*) AS n FROM s GROUP BY region' },
  { sql: 'SELECT region, user, SUM(qty) AS q, AVG(amount) AS mean FROM orders WHERE qty > 2 GROUP BY region, user', oracle: 'SELECT region, user, SUM(qty) AS q, AVG(amount) AS mean FROM s WHERE qty > 2 GROUP BY region, user' },
  { sql: 'SELECT COUNT(DISTINCT user) AS users, COUNT(*) AS n FROM orders WHERE amount >= 50', oracle: 'SELECT COUNT(DISTINCT user) AS users, COUNT(*) AS n FROM s WHERE amount >= 50' },
];

interface Sent extends OracleEvent { arrival: number }

async function ingest(app: FastifyInstance, rand: () => number, count: number, sent: Sent[]): Promise<void> {
  const events = Array.from({ length: count }, () => ({
    ts: Date.now(),
    user: `u${Math.floor(rand() * 12)}`,
    region: ['eu', 'us', 'ap'][Math.floor(rand() * 3)]!,
    amount: Math.round(rand() * 10_000) / 100,
    qty: 1 + Math.floor(rand() * 5),
  }));
  const res = await app.inject({ method: 'POST', url: '/v1/streams/orders/events', payload: events });
  if (res.statusCode !== 201) throw new Error(res.body);
  res.json<{ ids: string[] }>().ids.forEach((id, i) => sent.push({ ...events[i]!, arrival: Number(id.split('-')[0]) }));
}

async function register(app: FastifyInstance, sql: string, start: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql, start } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json<{ id: string }>().id;
}

const processed = async (app: FastifyInstance, id: string) => (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ processed: number }>().processed;
const results = async (app: FastifyInstance, id: string) => (await app.inject({ method: 'GET', url: `/v1/queries/${id}/results?limit=1000` })).json<{ rows: Record<string, unknown>[] }>().rows;

t.test('queries started from the archive equal DuckDB over every event ever ingested, across the seam, on a partitioned stream', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-archive-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await startRedis(t);
  // Archiving and trimming run every 50 ms, during the backfill too; small batches make the backfill many commits.
  const app = await startApp(t, r.url, { ARCHIVE_DIR: dir, RETENTION_INTERVAL: '50ms', BATCH_SIZE: '100', BLOCK_TIME: '50ms', REGISTRY_POLL: '100ms' });
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/orders', payload: { archive: true, partitions: PARTITIONS, partitionKey: 'user', retention: { maxLength: 40 } } })).statusCode, 200);
  const rand = rng(1515);
  const sent: Sent[] = [];
  for (let i = 0; i < 10; i++) await ingest(app, rand, 100 + Math.floor(rand() * 100), sent);
  await waitUntil('every partition archived and trimmed', async () => {
    for (let p = 0; p < PARTITIONS; p++) if ((await r.client.xLen(keys.events(part('orders', p, PARTITIONS)))) > 40) return false;
    return true;
  });

  const picks = QUERIES.map((q) => ({ ...q, start: 'archive' }));
  // One query from an ISO time: the entries that arrived from then on, archived ones first.
  const cut = sent[Math.floor(sent.length / 2)]!.arrival;
  picks.push({ ...QUERIES[Math.floor(rand() * QUERIES.length)]!, start: new Date(cut).toISOString() });
  const ids: string[] = [];
  for (const q of picks) ids.push(await register(app, q.sql, q.start));
  // More events while the queries backfill: they are archived and trimmed meanwhile.
  for (let i = 0; i < 6; i++) {
    await ingest(app, rand, 50 + Math.floor(rand() * 100), sent);
    await new Promise((ok) => setTimeout(ok, 30));
  }

  for (const [i, q] of picks.entries()) {
    const expectedEvents = q.start === 'archive' ? sent : sent.filter((e) => e.arrival >= cut);
    await waitUntil(`query ${i} processed every event`, async () => (await processed(app, ids[i]!)) >= expectedEvents.length, 30_000);
    t.equal(await processed(app, ids[i]!), expectedEvents.length, `${q.start}: every event processed once`);
    const db = await oracle(expectedEvents.map(({ arrival: _a, ...e }) => e), { ts: 'BIGINT', user: 'VARCHAR', region: 'VARCHAR', amount: 'DOUBLE', qty: 'BIGINT' });
    const problems = sameRows(await results(app, ids[i]!), await oracleRows(db, q.oracle));
    t.same(problems, [], `${q.sql} (start ${q.start}) equals DuckDB`);
  }
  const files = await r.client.get(keys.archived(part('orders', 0, PARTITIONS)));
  t.ok(files, 'the archive grew during the test');
});

t.test('start "archive" on a stream that is not archived is refused', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ARCHIVE_DIR: tmpdir() });
  await app.inject({ method: 'PUT', url: '/v1/streams/plain', payload: {} });
  const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT COUNT(*) AS n FROM plain', start: 'archive' } });
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'SG_ERR_VALIDATION' });
});
