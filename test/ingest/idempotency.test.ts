// Retries with an Idempotency-Key, and events carrying an `id`, are written once.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

t.test('a sequential retry with the same Idempotency-Key writes once and returns the same ids', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const req = { method: 'POST' as const, url: '/v1/streams/pay/events', headers: { 'idempotency-key': 'req-1' }, payload: [{ a: 1 }, { a: 2 }] };
  const first = await app.inject(req);
  t.equal(first.statusCode, 201);
  t.notOk(first.headers['idempotent-replayed']);
  const second = await app.inject(req);
  t.equal(second.statusCode, 201);
  t.equal(second.headers['idempotent-replayed'], 'true');
  t.same(second.json(), first.json(), 'same ids');
  t.equal(await r.client.xLen(keys.events(part('pay', 0))), 2, 'written once');
});

t.test('20 concurrent duplicates resolve to one write', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const req = { method: 'POST' as const, url: '/v1/streams/pay/events', headers: { 'idempotency-key': 'burst' }, payload: [{ a: 1 }, { a: 2 }, { a: 3 }] };
  const answers = await Promise.all(Array.from({ length: 20 }, () => app.inject(req)));
  t.ok(answers.every((a) => a.statusCode === 201), 'all 201');
  const ids = new Set(answers.map((a) => a.body));
  t.equal(ids.size, 1, 'every answer carries the same ids');
  t.equal(answers.filter((a) => a.headers['idempotent-replayed'] !== 'true').length, 1, 'exactly one did the write');
  t.equal(await r.client.xLen(keys.events(part('pay', 0))), 3);
});

t.test('the same key with a different body is refused with 422 and writes nothing', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const url = '/v1/streams/pay/events';
  t.equal((await app.inject({ method: 'POST', url, headers: { 'idempotency-key': 'k' }, payload: { a: 1 } })).statusCode, 201);
  const res = await app.inject({ method: 'POST', url, headers: { 'idempotency-key': 'k' }, payload: { a: 2 } });
  assertProblem(t, res, 422, 'SG_ERR_IDEMPOTENCY_MISMATCH');
  t.equal(await r.client.xLen(keys.events(part('pay', 0))), 1);
});

t.test('an event id dedupes within a request and across requests', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const url = '/v1/streams/orders/events';
  const a = await app.inject({ method: 'POST', url, payload: [{ id: 'o-1', v: 1 }, { id: 'o-2', v: 2 }, { id: 'o-1', v: 1 }] });
  t.equal(a.statusCode, 201);
  const ids = a.json<{ ids: string[] }>().ids;
  t.equal(ids[0], ids[2], 'duplicate within the request maps to the first entry');
  const b = await app.inject({ method: 'POST', url, payload: [{ id: 'o-2', v: 2 }, { id: 7, v: 3 }] });
  const idsB = b.json<{ ids: string[] }>().ids;
  t.equal(idsB[0], ids[1], 'repeat across requests returns the first id');
  const c = await app.inject({ method: 'POST', url, payload: { id: 7, v: 3 } });
  t.equal(c.json<{ ids: string[] }>().ids[0], idsB[1], 'numeric ids dedupe too');
  t.equal(await r.client.xLen(keys.events(part('orders', 0))), 3, 'three distinct events stored');
});

t.test('an idempotent retry across partitions writes once', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  await app.inject({ method: 'PUT', url: '/v1/streams/multi', payload: { partitions: 4, partitionKey: 'user' } });
  const events = Array.from({ length: 40 }, (_, i) => ({ user: `u${i % 9}`, n: i }));
  const req = { method: 'POST' as const, url: '/v1/streams/multi/events', headers: { 'idempotency-key': 'mp' }, payload: events };
  const first = await app.inject(req);
  const second = await app.inject(req);
  t.same(second.json(), first.json());
  let total = 0;
  const nonEmpty: number[] = [];
  for (let p = 0; p < 4; p++) {
    const n = await r.client.xLen(keys.events(part('multi', p, 4)));
    total += n;
    if (n > 0) nonEmpty.push(p);
  }
  t.equal(total, 40, 'each event once');
  t.ok(nonEmpty.length > 1, 'events spread over partitions');
  // The same partition key always lands on the same partition.
  const entries = await Promise.all([0, 1, 2, 3].map((p) => r.client.xRange(keys.events(part('multi', p, 4)), '-', '+')));
  const home = new Map<string, number>();
  entries.forEach((list, p) => list!.forEach((e) => {
    const user = (JSON.parse(e.message.e!) as { user: string }).user;
    t.equal(home.get(user) ?? p, p, `user ${user} stays on one partition`);
    home.set(user, p);
  }));
});
