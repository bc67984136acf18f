// A query started from the archive reads every archived entry of each partition, then the live
// stream after the archive's last id: its results equal DuckDB over everything ever ingested, with
// nothing counted twice at the seam, while archiving and trimming go on during its backfill.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { startGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from '../helpers/oracle.js';
import { keys } from '../../src/redis/keys.js';
import { compareIds } from '../../src/util/stream-ids.js';
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

t.test('a gateway SIGKILLed mid-backfill: the next owner resumes from the checkpoint, nothing counted twice', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-archive-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await startRedis(t);
  const env = { REDIS_URL: r.url, ARCHIVE_DIR: dir, RETENTION_INTERVAL: '50ms', BATCH_SIZE: '20', BLOCK_TIME: '50ms', REGISTRY_POLL: '100ms', LEASE_TTL: '1s', LOG_LEVEL: 'warn' };
  // Slow commits keep the first gateway inside its backfill when it is killed.
  const first = await startGateway({ ...env, SG_TEST_COMMIT_DELAY_MS: '150' });
  t.teardown(() => first.kill());
  const call = async (url: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  await call(first.url, 'PUT', '/v1/streams/orders', { archive: true, partitions: 2, partitionKey: 'user', retention: { maxLength: 20 } });
  const rand = rng(99);
  const sent: Sent[] = [];
  for (let i = 0; i < 6; i++) {
    const events = Array.from({ length: 100 }, () => ({ ts: Date.now(), user: `u${Math.floor(rand() * 12)}`, region: 'eu', amount: Math.round(rand() * 10_000) / 100, qty: 1 }));
    const { ids } = (await call(first.url, 'POST', '/v1/streams/orders/events', events)) as { ids: string[] };
    ids.forEach((id, j) => sent.push({ ...events[j]!, arrival: Number(id.split('-')[0]) }));
  }
  await waitUntil('archived and trimmed', async () => (await r.client.xLen(keys.events(part('orders', 0, 2)))) <= 20 && (await r.client.xLen(keys.events(part('orders', 1, 2)))) <= 20);
  const { id } = (await call(first.url, 'POST', '/v1/queries', { sql: QUERIES[0]!.sql, start: 'archive' })) as { id: string };
  const done = async (url: string) => Number((await call(url, 'GET', `/v1/queries/${id}`)).processed);
  const before = await waitUntil('the backfill under way', async () => {
    const n = await done(first.url);
    return n >= 100 ? n : undefined;
  });
  await first.kill('SIGKILL');
  t.ok(before < sent.length, `killed after ${before} of ${sent.length} archived events`);
  t.ok((await r.client.get(keys.archived(part('orders', 0, 2)))) !== null);
  const second = await startGateway(env);
  t.teardown(() => second.kill());
  await waitUntil('the backfill finished by the next owner', async () => (await done(second.url)) >= sent.length, 30_000);
  t.equal(await done(second.url), sent.length, 'every event processed once');
  const db = await oracle(sent.map(({ arrival: _a, ...e }) => e), { ts: 'BIGINT', user: 'VARCHAR', region: 'VARCHAR', amount: 'DOUBLE', qty: 'BIGINT' });
  const rows = ((await call(second.url, 'GET', `/v1/queries/${id}/results?limit=1000`)) as { rows: Record<string, unknown>[] }).rows;
  t.same(sameRows(rows, await oracleRows(db, QUERIES[0]!.oracle)), [], 'equals DuckDB over every event ingested');
});

t.test('an archived entry that cannot be applied is dead-lettered like a live poison entry; the backfill goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-archive-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ARCHIVE_DIR: dir, RETENTION_INTERVAL: '50ms', BATCH_SIZE: '50', BLOCK_TIME: '50ms', REGISTRY_POLL: '100ms' });
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/orders', payload: { archive: true, retention: { maxLength: 10 } } })).statusCode, 200);
  const rand = rng(4242);
  const sent: Sent[] = [];
  // Entries our ingest would never write, XADDed between batches: not JSON, and JSON that is not an object.
  const poison: Record<string, string> = {};
  for (let i = 0; i < 4; i++) {
    await ingest(app, rand, 80, sent);
    if (i === 1) poison[await r.client.xAdd(keys.events(part('orders', 0)), '*', { e: 'not json', t: '1000', a: '1000' })] = 'not json';
    if (i === 2) poison[await r.client.xAdd(keys.events(part('orders', 0)), '*', { e: '[1]', t: '1000', a: '1000' })] = '[1]';
  }
  const hw = keys.archived(part('orders', 0));
  // Whole ids compared (one millisecond may hold both), and time for a loaded machine's archiver.
  await waitUntil('the poison entries archived and trimmed', async () => {
    const upTo = await r.client.get(hw);
    return upTo !== null && Object.keys(poison).every((id) => compareIds(id, upTo) <= 0) && (await r.client.xLen(keys.events(part('orders', 0)))) <= 10;
  }, 45_000);
  const id = await register(app, QUERIES[0]!.sql, 'archive');
  const status = async () => (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ status: string; processed: number; deadLettered: number }>();
  await waitUntil('every valid event processed and both poison entries dead-lettered', async () => {
    const q = await status();
    return q.processed >= sent.length && q.deadLettered >= 2;
  }, 30_000);
  const q = await status();
  t.equal(q.status, 'running');
  t.equal(q.processed, sent.length, 'every valid event processed once');
  t.equal(q.deadLettered, 2, 'deadLettered counts both archived poison entries');
  const dlq = (await r.client.xRange(keys.task(part('orders', 0), id).deadLetter, '-', '+')) ?? [];
  t.same(dlq.map((d) => d.message.id), Object.keys(poison), 'the dead-letter stream names each archived entry once, in order');
  for (const d of dlq) {
    t.equal((JSON.parse(d.message.entry ?? '{}') as { e: string }).e, poison[d.message.id!], 'it keeps the archived entry');
    t.ok(d.message.error, `it carries the error (${d.message.error})`);
  }
  const db = await oracle(sent.map(({ arrival: _a, ...e }) => e), { ts: 'BIGINT', user: 'VARCHAR', region: 'VARCHAR', amount: 'DOUBLE', qty: 'BIGINT' });
  t.same(sameRows(await results(app, id), await oracleRows(db, QUERIES[0]!.oracle)), [], 'the valid events equal DuckDB');
});

t.test('a stream deleted and created again starts from an empty archive; the old files are moved aside', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-archive-again-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ARCHIVE_DIR: dir, RETENTION_INTERVAL: '50ms', BLOCK_TIME: '50ms', REGISTRY_POLL: '100ms' });
  const config = { archive: true, retention: { maxLength: 10 } };
  const archivedAll = () => waitUntil('archived and trimmed', async () => (await r.client.xLen(keys.events(part('orders', 0, 1)))) <= 10);
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/orders', payload: config })).statusCode, 200);
  const rand = rng(77);
  const old: Sent[] = [];
  for (let i = 0; i < 3; i++) await ingest(app, rand, 50, old);
  await archivedAll();
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/streams/orders' })).statusCode, 204);
  const aside = readdirSync(dir).filter((n) => n.startsWith('orders~deleted-'));
  t.equal(aside.length, 1, `the old archive was moved aside (${aside[0] ?? 'none'})`);
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/orders', payload: config })).statusCode, 200);
  const fresh: Sent[] = [];
  for (let i = 0; i < 2; i++) await ingest(app, rand, 40, fresh);
  await archivedAll();
  const id = await register(app, QUERIES[0]!.sql, 'archive');
  await waitUntil('the new stream processed', async () => (await processed(app, id)) >= fresh.length, 30_000);
  await new Promise((ok) => setTimeout(ok, 300));
  t.equal(await processed(app, id), fresh.length, `only the ${fresh.length} events of the new stream, none of the ${old.length} old ones`);
});

t.test('start "archive" on a stream that is not archived is refused', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ARCHIVE_DIR: tmpdir() });
  await app.inject({ method: 'PUT', url: '/v1/streams/plain', payload: {} });
  const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT COUNT(*) AS n FROM plain', start: 'archive' } });
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'SG_ERR_VALIDATION' });
});
