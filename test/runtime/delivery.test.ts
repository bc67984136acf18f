// Delivery guarantees end to end against a real redis-server: poison entries go to the
// dead-letter stream after MAX_DELIVERIES deliveries, late events go to the late stream and
// never change a closed window, `start: earliest|latest` pick exactly the right events (checked
// against DuckDB), and deleting a query leaves no key of it behind.
import t from 'tap';
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { DuckDBInstance } from '@duckdb/node-api';
import { monitorAll, scanKeys, startRedis, type TestRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';
import { waitUntil } from '../helpers/wait.js';
import { keys } from '../../src/redis/keys.js';
import { rng } from '../helpers/rng.js';
import { part } from '../helpers/partitions.js';

const MAX_DELIVERIES = 3;
const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '100ms', MAX_DELIVERIES: String(MAX_DELIVERIES) };
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

type Row = Record<string, unknown>;
interface QueryStatus {
  id: string;
  status: string;
  lag: number;
  processed: number;
  late: number;
  deadLettered: number;
  error?: string;
  partitionStatus: { owner: string | null }[];
}

async function post(app: FastifyInstance, stream: string, events: unknown[]): Promise<string[]> {
  const res = await app.inject({ method: 'POST', url: `/v1/streams/${stream}/events`, payload: events });
  if (res.statusCode !== 201) throw new Error(`POST events: ${res.statusCode} ${res.body}`);
  return res.json<{ ids: string[] }>().ids;
}

async function createQuery(t: Test, app: FastifyInstance, payload: Record<string, unknown>): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/queries', payload });
  t.equal(res.statusCode, 201, `query registered: ${res.body}`);
  return res.json<{ id: string }>().id;
}

async function status(app: FastifyInstance, id: string): Promise<QueryStatus> {
  const res = await app.inject({ method: 'GET', url: `/v1/queries/${id}` });
  if (res.statusCode !== 200) throw new Error(`GET query: ${res.statusCode} ${res.body}`);
  return res.json<QueryStatus>();
}

/** Waits until the query is owned, has nothing left to commit, and `done` holds for its status. */
async function settled(app: FastifyInstance, id: string, what: string, done: (q: QueryStatus) => boolean = () => true, ms = 15_000): Promise<QueryStatus> {
  return waitUntil(`${id}: ${what}`, async () => {
    const q = await status(app, id);
    if (q.status === 'failed') throw new Error(`query failed: ${q.error ?? '?'}`);
    return q.lag === 0 && q.partitionStatus.every((p) => p.owner) && done(q) ? q : undefined;
  }, ms);
}

async function results(app: FastifyInstance, id: string): Promise<Row[]> {
  const res = await app.inject({ method: 'GET', url: `/v1/queries/${id}/results?limit=10000` });
  if (res.statusCode !== 200) throw new Error(`GET results: ${res.statusCode} ${res.body}`);
  return res.json<{ rows: Row[] }>().rows;
}

/** Watches the PEL entry of one stream id, recording every delivery count seen while it is pending. */
function watchDeliveries(r: TestRedis, source: string, group: string, entryId: string) {
  const seen: number[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      // '-'..'+' rather than the id itself, so that these reads are told apart from the runner's in MONITOR.
      const pel = await r.client.xPendingRange(source, group, '-', '+', 1000).catch(() => []);
      const mine = pel.find((p) => String(p.id) === entryId);
      const n = mine ? Number(mine.deliveriesCounter) : undefined;
      if (n !== undefined && seen[seen.length - 1] !== n) seen.push(n);
      await sleep(2);
    }
  })();
  return {
    seen,
    stop: async () => {
      stop = true;
      await loop;
    },
  };
}

/** Records every command Redis executes that names `needle` (via MONITOR on a separate connection). */
async function monitorCommands(t: Test, r: TestRedis, needle: string) {
  const lines: string[] = [];
  await monitorAll(t, r, (line) => {
    if (line.includes(needle)) lines.push(line);
  });
  return lines;
}

/** XADDs an entry that our ingest would never write: its `e` is not JSON. */
async function addPoison(r: TestRedis, stream: string): Promise<string> {
  return r.client.xAdd(keys.events(part(stream, 0)), '*', { e: 'not json', t: '1000', a: '1000' });
}

t.test('a poison entry is dead-lettered after MAX_DELIVERIES deliveries and the query goes on', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const stream = 'pay';
  const source = keys.events(part(stream, 0));
  const id = await createQuery(t, app, { sql: 'SELECT k, COUNT(*) AS n, SUM(v) AS total FROM pay GROUP BY k' });
  const xpendingChecks = await monitorCommands(t, r, '"XPENDING"');

  await post(app, stream, [{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'a', v: 3 }]);
  const poison = await addPoison(r, stream);
  const watch = watchDeliveries(r, source, id, poison);
  await post(app, stream, [{ k: 'a', v: 10 }, { k: 'b', v: 20 }]);
  await sleep(50);
  await post(app, stream, [{ k: 'c', v: 100 }]);

  const q = await settled(app, id, 'poison dead-lettered', (q) => q.deadLettered === 1);
  await watch.stop();
  t.equal(q.deadLettered, 1, 'GET /v1/queries/{id} shows deadLettered: 1');
  t.equal(q.processed, 6, 'every valid event processed exactly once (redeliveries not double counted)');
  t.equal(q.status, 'running', 'the query keeps running');

  t.same(await results(app, id), [
    { k: 'a', n: 3, total: 14 },
    { k: 'b', n: 2, total: 22 },
    { k: 'c', n: 1, total: 100 },
  ], 'the valid events before and after the poison entry are counted exactly once');

  const dlq = (await r.client.xRange(keys.task(part(stream, 0), id).deadLetter, '-', '+')) ?? [];
  t.equal(dlq.length, 1, 'one entry on the dead-letter stream');
  const dead = dlq[0]!.message;
  t.equal(dead.id, poison, 'the dead-letter entry names the poison entry id');
  t.same(JSON.parse(dead.entry ?? '{}'), { e: 'not json', t: '1000', a: '1000' }, 'it keeps the original entry');
  t.match(dead.error, /JSON/, `it carries the error (${dead.error})`);

  const pending = await r.client.xPending(source, id);
  t.equal(Number(pending.pending), 0, 'the group has nothing pending at the end (the poison entry was acked)');

  // While pending, the poison entry was seen at every delivery count below the limit (each
  // lasts at least one retry back-off), and never beyond the limit.
  t.ok(watch.seen.length > 0, `the poison entry was observed pending (counts seen: ${watch.seen.join(',')})`);
  t.same(watch.seen, watch.seen.slice().sort((a, b) => a - b), 'delivery counts only grow');
  for (let n = 2; n < MAX_DELIVERIES; n++) t.ok(watch.seen.includes(n), `observed delivery count ${n} while pending`);
  t.ok(Math.max(...watch.seen) <= MAX_DELIVERIES, 'never delivered more than MAX_DELIVERIES times');
  // The runner consults the entry's delivery counter once per delivery it fails to process:
  // exactly MAX_DELIVERIES checks means exactly MAX_DELIVERIES deliveries before dead-lettering.
  const checks = xpendingChecks.filter((l) => l.includes(`"${poison}"`) && l.includes(`"${id}"`));
  t.equal(checks.length, MAX_DELIVERIES, `delivered (and checked) ${MAX_DELIVERIES} times before dead-lettering`);

  // Nothing more happens to it afterwards.
  await post(app, stream, [{ k: 'a', v: 1000 }]);
  const after = await settled(app, id, 'one more event', (q) => q.processed === 7);
  t.equal(after.deadLettered, 1, 'still exactly one dead-lettered entry');
  t.equal((await r.client.xLen(keys.task(part(stream, 0), id).deadLetter)), 1, 'the dead-letter stream did not grow');
  t.same((await results(app, id)).find((row) => row.k === 'a'), { k: 'a', n: 4, total: 1014 });
});

t.test('a late event goes to the late stream and never changes its closed window', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const stream = 'clicks';
  const id = await createQuery(t, app, {
    sql: "SELECT k, COUNT(*) AS c, window_start, window_end FROM clicks GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)",
    lateness: 0,
  });
  const W0 = { window_start: iso(T0), window_end: iso(T0 + 60_000) };
  const W1 = { window_start: iso(T0 + 60_000), window_end: iso(T0 + 120_000) };

  await post(app, stream, [{ k: 'a', ts: T0 + 1_000 }, { k: 'a', ts: T0 + 2_000 }, { k: 'b', ts: T0 + 3_000 }]);
  // Watermark = T0 + 60 500 (lateness 0) ≥ the end of the first window: it closes.
  await post(app, stream, [{ k: 'a', ts: T0 + 60_500 }]);
  await settled(app, id, 'first window closed', (q) => q.processed === 4);
  const before = await results(app, id);
  t.same(before, [
    { k: 'a', c: 2, ...W0 },
    { k: 'a', c: 1, ...W1 },
    { k: 'b', c: 1, ...W0 },
  ].sort((x, y) => (JSON.stringify([x.k, x.window_start]) < JSON.stringify([y.k, y.window_start]) ? -1 : 1)), 'closed and open windows');
  const closedA = before.find((row) => row.k === 'a' && row.window_start === W0.window_start);
  t.same(closedA, { k: 'a', c: 2, ...W0 });

  const [lateId] = await post(app, stream, [{ k: 'a', ts: T0 + 5_000, tag: 'late-one' }]);
  // And one on time, to see the batch is otherwise processed.
  await post(app, stream, [{ k: 'b', ts: T0 + 61_000 }]);
  const q = await settled(app, id, 'late event counted', (q) => q.late === 1 && q.processed === 6);
  t.equal(q.late, 1, 'GET /v1/queries/{id} counts the late event');
  t.equal(q.deadLettered, 0, 'a late event is not a poison entry');

  const late = (await r.client.xRange(keys.task(part(stream, 0), id).late, '-', '+')) ?? [];
  t.equal(late.length, 1, 'one entry on the late stream');
  const entry = late[0]!.message;
  t.equal(entry.id, lateId, 'it names the late entry id');
  t.same(JSON.parse(entry.e ?? '{}'), { k: 'a', ts: T0 + 5_000, tag: 'late-one' }, 'it keeps the event');
  t.equal(Number(entry.watermark), T0 + 60_500, 'with the watermark it was late against');

  const after = await results(app, id);
  t.same(after.find((row) => row.k === 'a' && row.window_start === W0.window_start), { k: 'a', c: 2, ...W0 }, 'the closed window is unchanged');
  t.same(after.find((row) => row.k === 'b' && row.window_start === W0.window_start), { k: 'b', c: 1, ...W0 });
  t.same(after.find((row) => row.k === 'b' && row.window_start === W1.window_start), { k: 'b', c: 1, ...W1 }, 'the on-time event was applied');
  t.equal(after.length, 4);
  // The changes stream never reopened the closed window: its last change is the final one.
  const changes = ((await r.client.xRange(keys.task(part(stream, 0), id).changes, '-', '+')) ?? [])
    .map((e) => JSON.parse(e.message.c ?? '{}') as { op: string; row: Row; final: boolean })
    .filter((c) => c.row.k === 'a' && c.row.window_start === W0.window_start);
  t.ok(changes.length > 0, 'the closed window had changes');
  t.match(changes[changes.length - 1], { op: 'upsert', final: true, row: { c: 2 } }, 'its last change is the final row');
  t.equal(changes.filter((c) => c.final).length, 1, 'exactly one final change for it (the late event emitted nothing)');
  t.equal(Number((await r.client.xPending(keys.events(part(stream, 0)), id)).pending), 0, 'the late event was acked');
});

// --- start: earliest vs latest against DuckDB -------------------------------------------------


interface Ev { k?: string | null; x?: number | null; y?: number | null; i: number }

function makeEvents(r: () => number, n: number, from: number): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    const ev: Ev = { i: from + i };
    const kr = r();
    // 'nil' has only NULL values: its SUM/MIN/MAX/AVG must be NULL, its COUNT(x) 0.
    const k = kr < 0.1 ? null : kr < 0.15 ? undefined : kr < 0.25 ? 'nil' : (['a', 'b', 'c'] as const)[Math.floor(r() * 3)];
    if (k !== undefined) ev.k = k;
    if (k !== 'nil') {
      const xr = r();
      if (xr < 0.1) ev.x = null;
      else if (xr < 0.15) { /* missing */ } else if (xr < 0.55) ev.x = Math.floor(r() * 21) - 10;
      else ev.x = Math.round((r() * 200 - 100) * 100) / 100;
      const yr = r();
      if (yr < 0.15) ev.y = null;
      else if (yr >= 0.2) ev.y = Math.floor(r() * 2001) - 1000;
    } else {
      ev.x = null;
    }
    out.push(ev);
  }
  return out;
}

function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

t.test('start earliest and latest read exactly the right events (DuckDB oracle)', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const stream = 'm';
  const rand = rng(20260101);
  const N = 180;
  const M = 160;
  const pre = makeEvents(rand, N, 0);
  const postReg = makeEvents(rand, M, N);
  for (let i = 0; i < pre.length; i += 45) await post(app, stream, pre.slice(i, i + 45));

  const sql = 'SELECT k, COUNT(*) AS n, COUNT(x) AS cx, SUM(x) AS sx, MIN(x) AS mn, MAX(x) AS mx, AVG(x) AS av, '
    + 'COUNT(DISTINCT x) AS dx, SUM(y) AS sy, MIN(y) AS mny, MAX(y) AS mxy FROM m GROUP BY k';
  const earliest = await createQuery(t, app, { sql, start: 'earliest', name: 'from-earliest' });
  const latest = await createQuery(t, app, { sql, start: 'latest', name: 'from-latest' });
  for (let i = 0; i < postReg.length; i += 40) await post(app, stream, postReg.slice(i, i + 40));

  const qe = await settled(app, earliest, 'earliest caught up', (q) => q.processed === N + M);
  const ql = await settled(app, latest, 'latest caught up', (q) => q.processed === M);
  t.equal(qe.processed, N + M, 'earliest processed the history and the new events');
  t.equal(ql.processed, M, 'latest processed only the events after registration');

  const duck = await DuckDBInstance.create(':memory:');
  const conn = await duck.connect();
  t.teardown(() => {
    conn.closeSync();
    duck.closeSync();
  });
  await conn.run('CREATE TABLE ev (i INTEGER, k VARCHAR, x DOUBLE, y BIGINT)');
  const lit = (v: string | number | null | undefined) => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v));
  await conn.run(`INSERT INTO ev VALUES ${[...pre, ...postReg].map((e) => `(${[e.i, e.k, e.x, e.y].map(lit).join(', ')})`).join(',\n')}`);

  const expected = async (fromIndex: number): Promise<Map<string, Row>> => {
    const reader = await conn.runAndReadAll(`SELECT k, COUNT(*) AS n, COUNT(x) AS cx, SUM(x) AS sx, MIN(x) AS mn, MAX(x) AS mx, AVG(x) AS av,
      COUNT(DISTINCT x) AS dx, SUM(y) AS sy, MIN(y) AS mny, MAX(y) AS mxy FROM ev WHERE i >= ${fromIndex} GROUP BY k`);
    const out = new Map<string, Row>();
    for (const row of reader.getRowObjectsJS()) {
      const norm: Row = {};
      for (const [c, v] of Object.entries(row)) norm[c] = typeof v === 'bigint' ? Number(v) : (v ?? null);
      out.set(JSON.stringify(norm.k), norm);
    }
    return out;
  };

  for (const [label, id, fromIndex] of [['earliest', earliest, 0], ['latest', latest, N]] as const) {
    const want = await expected(fromIndex);
    const got = new Map((await results(app, id)).map((row) => [JSON.stringify(row.k), row]));
    t.same([...got.keys()].sort(), [...want.keys()].sort(), `${label}: the same groups as DuckDB (NULL is its own group)`);
    t.ok(want.has(JSON.stringify('nil')) && want.has('null'), `${label}: the data has an all-NULL group and a NULL key`);
    for (const [key, w] of want) {
      const g = got.get(key);
      if (!g) continue;
      const bad = Object.keys(w).filter((c) => !close(g[c] ?? null, w[c]));
      t.same(bad, [], `${label} k=${key}: every column matches DuckDB${bad.length ? `: ours ${JSON.stringify(g)} vs DuckDB ${JSON.stringify(w)}` : ''}`);
      for (const c of ['n', 'cx', 'dx', 'sy', 'mny', 'mxy']) {
        if (g[c] !== null) t.equal(typeof g[c], 'number', `${label} k=${key}: ${c} is a JSON number`);
      }
    }
    const nil = got.get(JSON.stringify('nil'));
    t.match(nil, { cx: 0, sx: null, mn: null, mx: null, av: null, dx: 0 }, `${label}: aggregates of no values are NULL, counts 0`);
  }
});

t.test('DELETE leaves no key of the query behind, late and dead-letter streams included', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const stream = 'gone';
  const id = await createQuery(t, app, {
    sql: "SELECT k, COUNT(*) AS c, window_start, window_end FROM gone GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)",
    lateness: 0,
  });
  // A query on the same stream that must survive the deletion untouched.
  const other = await createQuery(t, app, { sql: 'SELECT k, COUNT(*) AS n FROM gone GROUP BY k' });
  await post(app, stream, [{ k: 'a', ts: T0 + 1_000 }, { k: 'b', ts: T0 + 2_000 }, { k: 'a', ts: T0 + 61_000 }]);
  await addPoison(r, stream);
  await post(app, stream, [{ k: 'a', ts: T0 + 3_000 }]); // late: the first window has closed
  const q = await settled(app, id, 'late and dead-lettered', (q) => q.late === 1 && q.deadLettered === 1);
  t.equal(q.processed, 4, 'the four valid events processed (the poison entry is not)');
  await settled(app, other, 'other query caught up', (q) => q.deadLettered === 1);

  const k = keys.task(part(stream, 0), id);
  for (const [what, key] of [['late stream', k.late], ['dead-letter stream', k.deadLetter], ['results', k.results], ['checkpoint', k.checkpoint], ['state', k.state], ['lease', k.lease]] as const) {
    t.equal(await r.client.exists(key), 1, `before DELETE the ${what} exists`);
  }
  const ownKeys = async () => {
    return scanKeys(r, `*${id}*`);
  };
  t.ok((await ownKeys()).length >= 6, 'SCAN finds the query keys before DELETE');

  const del = await app.inject({ method: 'DELETE', url: `/v1/queries/${id}` });
  t.equal(del.statusCode, 204, del.body);
  await waitUntil('reclaimed in the background', async () => (await ownKeys()).length === 0 && (await r.client.hExists(keys.queryRegistry(), id)) === 0);
  t.same(await ownKeys(), [], 'SCAN: no key containing the query id remains');
  t.same(await r.client.keys(`*${id}*`), [], 'KEYS: no key containing the query id remains');
  const groups = (await r.client.xInfoGroups(keys.events(part(stream, 0)))) as unknown as { name: string }[];
  t.notOk(groups.some((g) => String(g.name) === id), 'the consumer group is gone');
  t.ok(groups.some((g) => String(g.name) === other), "the other query's group is still there");
  t.equal(await r.client.hExists(keys.queryRegistry(), id), 0, 'the registry no longer holds the query');
  assertProblem(t, await app.inject({ method: 'GET', url: `/v1/queries/${id}` }), 404, 'SG_ERR_QUERY_NOT_FOUND');

  // Nothing comes back later (no lingering runner re-creating keys), and the other query goes on.
  await post(app, stream, [{ k: 'c', ts: T0 + 62_000 }]);
  await settled(app, other, 'other query sees the new event', (q) => q.processed === 5);
  await sleep(300);
  t.same(await ownKeys(), [], 'still no key of the deleted query after more events');
  t.same(await results(app, other), [{ k: 'a', n: 3 }, { k: 'b', n: 1 }, { k: 'c', n: 1 }], 'the other query is unaffected');
});
