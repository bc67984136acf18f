// Adopting a Redis Stream another application writes with XADD: a producer writes the foreign key
// directly (flat fields typed by the stream's schema, or one JSON field), queries over the adopted
// stream equal a plain JS computation over the same entries (including entries added while they
// run), entries that cannot be mapped are dead-lettered and counted, POST is refused, and neither
// the queries nor deleting the stream write, trim or delete the foreign key.
import t from 'tap';
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';
import { sameRows } from '../helpers/oracle.js';
import { keys } from '../../src/redis/keys.js';
import { partitionRef } from '../../src/redis/placement.js';

const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '100ms', MAX_DELIVERIES: '2' };
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

type Row = Record<string, unknown>;
interface QueryStatus {
  id: string;
  status: string;
  lag: number;
  processed: number;
  deadLettered: number;
  error?: string;
  partitionStatus: { owner: string | null }[];
}

async function call(app: FastifyInstance, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  const res = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  return { status: res.statusCode, body: res.body ? res.json<Record<string, unknown>>() : {} };
}

async function createQuery(t: Test, app: FastifyInstance, payload: Record<string, unknown>): Promise<string> {
  const res = await call(app, 'POST', '/v1/queries', payload);
  t.equal(res.status, 201, `query registered: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Waits until the query has read and settled `entries` entries (processed or dead-lettered). */
async function settled(app: FastifyInstance, id: string, entries: number): Promise<QueryStatus> {
  return waitUntil(`${id} settles ${entries} entries`, async () => {
    const { status, body } = await call(app, 'GET', `/v1/queries/${id}`);
    if (status !== 200) throw new Error(`GET query: ${status}`);
    const q = body as unknown as QueryStatus;
    if (q.status === 'failed') throw new Error(`query failed: ${q.error ?? '?'}`);
    return q.lag === 0 && q.processed + q.deadLettered === entries ? q : undefined;
  }, 30_000);
}

async function results(app: FastifyInstance, id: string): Promise<Row[]> {
  const { status, body } = await call(app, 'GET', `/v1/queries/${id}/results?limit=10000`);
  if (status !== 200) throw new Error(`GET results: ${status}`);
  return body.rows as Row[];
}

/** The dead-letter stream of a 1-partition query over `stream` (its tag as the stream config stores it). */
async function deadLetters(r: TestRedis, app: FastifyInstance, stream: string, id: string): Promise<{ id: string; error: string }[]> {
  const { body } = await call(app, 'GET', `/v1/streams/${stream}`);
  const part = partitionRef(stream, body.tags as string[], 0);
  const dlq = await r.client.xRange(keys.task(part, id).deadLetter, '-', '+');
  return (dlq ?? []).map((m) => ({ id: m.message.id!, error: m.message.error! }));
}

async function deleteQuery(app: FastifyInstance, id: string) {
  const res = await call(app, 'DELETE', `/v1/queries/${id}`);
  if (res.status !== 204) throw new Error(`DELETE query: ${res.status}`);
}

t.test('adopted streams', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);

  t.test('flat fields typed by the schema, renamed, event time from a field', async (t) => {
    const KEY = 'shop:orders';
    // The owner's own consumer group: the gateway must leave it alone.
    await r.client.xGroupCreate(KEY, 'billing', '0', { MKSTREAM: true });
    const put = await call(app, 'PUT', '/v1/streams/orders', {
      schema: { type: 'object', properties: { amount: { type: 'number' }, qty: { type: 'integer' }, paid: { type: ['boolean', 'null'] } } },
      source: { key: KEY, mapping: { rename: { amt: 'amount' } }, time: { field: 'created_at' } },
    });
    t.equal(put.status, 200, JSON.stringify(put.body));
    t.equal(put.body.timeField, 'created_at', 'the time field is the stream time field');
    t.same(put.body.source, { key: KEY, mapping: { rename: { amt: 'amount' } }, time: { field: 'created_at' } });

    interface Good { region: string; amount: number; qty: number; paid: boolean; ts: number }
    const good: Good[] = [];
    let bad = 0;
    const regions = ['eu', 'us', 'apac'];
    let n = 0;
    /**
     * One producer XADD: a good order (time as epoch ms, ISO, or absent) or, every 9th, a bad one.
     * The producer picks ids near T0, so an entry without a time (read at its id's time) lands
     * among the others' windows instead of pushing the watermark to today.
     */
    const produce = async () => {
      const i = n++;
      const entryId = `${T0 + i}-0`;
      if (i % 9 === 4) {
        bad++;
        // Alternately an amount that is not a number and a time that is not a time.
        const fields = i % 2 === 0 ? { region: 'eu', amt: 'twelve', qty: '1', created_at: String(T0) } : { region: 'eu', amt: '1', qty: '1', created_at: 'yesterday' };
        await r.client.xAdd(KEY, entryId, fields);
        return;
      }
      const region = regions[i % 3]!;
      const amount = Math.round((i % 17) * 12.5 + 0.25 * (i % 4)) / 100;
      const qty = (i % 5) + 1;
      const ts = T0 + ((i * 7919) % (5 * MIN));
      // An empty `paid` reads as null: the schema allows null.
      const paid = i % 3 !== 0;
      const fields: Record<string, string> = { region, amt: String(amount), qty: String(qty), paid: paid ? 'true' : '' };
      if (i % 11 === 0) {
        // No time field: the entry id's time, as ingest takes the arrival time.
        await r.client.xAdd(KEY, entryId, fields);
        good.push({ region, amount, qty, paid, ts: T0 + i });
        return;
      }
      fields.created_at = i % 2 === 0 ? String(ts) : iso(ts);
      await r.client.xAdd(KEY, entryId, fields);
      good.push({ region, amount, qty, paid, ts });
    };
    for (let i = 0; i < 150; i++) await produce();

    const id = await createQuery(t, app, {
      sql: "SELECT region, COUNT(*) AS n, SUM(amount) AS revenue, SUM(qty) AS items, COUNT(paid) AS paid, window_start FROM orders GROUP BY region, TUMBLE(created_at, INTERVAL '1' MINUTE)",
      // Times are shuffled over five minutes: none is late.
      start: 'earliest',
      lateness: '10m',
    });
    // Entries the producer adds while the query runs.
    for (let i = 0; i < 150; i++) {
      await produce();
      if (i % 30 === 0) await new Promise((ok) => setTimeout(ok, 20));
    }
    const q = await settled(app, id, good.length + bad);
    t.equal(q.processed, good.length, 'every mappable entry processed once');
    t.equal(q.deadLettered, bad, 'every unmappable entry dead-lettered and counted');

    const expected = new Map<string, Row>();
    for (const e of good) {
      const start = Math.floor(e.ts / MIN) * MIN;
      const k = `${e.region}|${start}`;
      const row = expected.get(k) ?? { region: e.region, n: 0, revenue: 0, items: 0, paid: 0, window_start: iso(start) };
      row.n = (row.n as number) + 1;
      row.revenue = (row.revenue as number) + e.amount;
      row.items = (row.items as number) + e.qty;
      if (e.paid) row.paid = (row.paid as number) + 1;
      expected.set(k, row);
    }
    const actual = await results(app, id);
    t.same(sameRows(actual, [...expected.values()]), [], 'results equal the oracle over the same entries');

    const dead = await deadLetters(r, app, 'orders', id);
    t.equal(dead.length, bad, 'the dead-letter stream holds each bad entry');
    t.ok(dead.some((d) => /field "amount" is "twelve", not a number/.test(d.error)), `a type error names the field: ${dead[0]?.error}`);
    t.ok(dead.some((d) => /event time "created_at"/.test(d.error)), 'a bad time names the time field');

    const info = await call(app, 'GET', '/v1/streams/orders');
    const part = (info.body.partitionInfo as { length: number; groups: { name: string }[] }[])[0]!;
    t.equal(part.length, await r.client.xLen(KEY), 'the stream info shows the foreign key');
    t.same(part.groups.map((g) => g.name).sort(), ['billing', `streamgate:${id}`], 'our group is prefixed; the owner\'s is there');

    const post = await call(app, 'POST', '/v1/streams/orders/events', [{ region: 'eu', amt: 1 }]);
    t.equal(post.status, 409, 'POST to an adopted stream is refused');
    t.match(String(post.body.detail ?? post.body.title), /read-only through the gateway/);
    t.equal(await r.client.xLen(KEY), n, 'nothing was written to the foreign key');

    // Deleting: the query first (its group goes), then the stream; the key and its data stay.
    await deleteQuery(app, id);
    await waitUntil('the stream can be deleted', async () => (await call(app, 'DELETE', '/v1/streams/orders')).status === 204, 15_000, 100);
    t.equal(await r.client.xLen(KEY), n, 'the foreign key keeps every entry');
    const groups = (await r.client.xInfoGroups(KEY)) as unknown as { name: string; pending: number }[];
    t.same(groups.map((g) => g.name), ['billing'], "only the owner's group is left");
    t.equal((await call(app, 'GET', '/v1/streams/orders')).status, 404);
  });

  t.test('one JSON field, event time from the entry id', async (t) => {
    const KEY = 'web:clicks';
    const put = await call(app, 'PUT', '/v1/streams/clicks', { source: { key: KEY, mapping: { json: 'payload', rename: { p: 'page' } }, time: 'entryId' } });
    t.equal(put.status, 200, JSON.stringify(put.body));
    const expected = new Map<string, Row>();
    let seq = 0;
    let bad = 0;
    const add = async (ms: number, payload: string | undefined, page?: string) => {
      await r.client.xAdd(KEY, `${ms}-${seq++}`, payload === undefined ? { other: 'x' } : { payload, source: 'web' });
      if (page === undefined) {
        bad++;
        return;
      }
      const start = Math.floor(ms / MIN) * MIN;
      const row = expected.get(`${page}|${start}`) ?? { page, n: 0, window_start: iso(start) };
      row.n = (row.n as number) + 1;
      expected.set(`${page}|${start}`, row);
    };
    // `ts` inside the JSON is not the event time here: the entry id is.
    const click = (i: number) => JSON.stringify({ p: `/p${i % 4}`, ts: T0 - 10 * MIN });
    let ms = T0;
    for (let i = 0; i < 60; i++) await add((ms += 1_700), click(i), `/p${i % 4}`);
    await add((ms += 10), 'not json');
    await add((ms += 10), '[1,2]');
    await add((ms += 10), undefined);

    const id = await createQuery(t, app, { sql: "SELECT page, COUNT(*) AS n, window_start FROM clicks GROUP BY page, TUMBLE(ts, INTERVAL '1' MINUTE)", start: 'earliest' });
    for (let i = 60; i < 120; i++) await add((ms += 1_700), click(i), `/p${i % 4}`);
    await add(ms + 10, '{"p": ');
    const q = await settled(app, id, 120 + bad);
    t.equal(q.deadLettered, bad, 'bad JSON, a JSON array and a missing field are dead-lettered');
    t.same(sameRows(await results(app, id), [...expected.values()]), [], 'windows follow the entry ids');
    const dead = await deadLetters(r, app, 'clicks', id);
    t.ok(dead.some((d) => /field "payload" is not JSON/.test(d.error)), `bad JSON named: ${dead.map((d) => d.error).join('; ')}`);
    t.ok(dead.some((d) => /has no field "payload"/.test(d.error)), 'a missing field named');
    await deleteQuery(app, id);
  });

  t.test('what an adopted stream refuses', async (t) => {
    const refused = async (body: unknown, status: number, pattern: RegExp, name = 'refused') => {
      const res = await call(app, 'PUT', `/v1/streams/${name}`, body);
      t.equal(res.status, status, `${JSON.stringify(body)} → ${res.status}`);
      t.match(JSON.stringify(res.body), pattern);
    };
    await refused({ partitions: 2, source: { key: 'a' } }, 400, /partitions must be 1/);
    await refused({ retention: { maxLength: 10 }, source: { key: 'a' } }, 400, /retention is its owner's business/);
    await refused({ source: { key: 'sg:{x#0}:events' } }, 400, /streamgate key/);
    await r.client.hSet('a:hash', 'f', 'v');
    await refused({ source: { key: 'a:hash' } }, 400, /holds a hash, not a stream/);
    await refused({ timeField: 'when', source: { key: 'a', time: { field: 'at' } } }, 400, /differs from source.time.field/);

    t.equal((await call(app, 'PUT', '/v1/streams/fixed', { source: { key: 'k1' } })).status, 200);
    await refused({ source: { key: 'k2' } }, 409, /cannot change/, 'fixed');
    await refused({}, 409, /cannot change/, 'fixed');

    // A stream with events of its own does not adopt a key over them.
    t.equal((await call(app, 'POST', '/v1/streams/native/events', [{ a: 1 }])).status, 201);
    await refused({ source: { key: 'k3' } }, 409, /holds events of its own/, 'native');
    t.equal(await r.client.exists('k3'), 0, 'a refused adoption touches nothing');
  });
});
