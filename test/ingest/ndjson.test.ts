// NDJSON bodies: 10,000 lines accepted, stored in order with their event times.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

t.test('NDJSON with 10,000 lines is accepted and stored in order', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const base = Date.UTC(2026, 0, 1);
  const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ seq: i, ts: base + i * 10, region: i % 3 ? 'eu' : 'us' }));
  const res = await app.inject({
    method: 'POST',
    url: '/v1/streams/clicks/events',
    headers: { 'content-type': 'application/x-ndjson', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    payload: lines.join('\n') + '\n',
  });
  t.equal(res.statusCode, 201);
  const ids = res.json<{ ids: string[] }>().ids;
  t.equal(ids.length, 10_000);
  t.equal(await r.client.xLen(keys.events(part('clicks', 0))), 10_000);
  const stored = (await r.client.xRange(keys.events(part('clicks', 0)), '-', '+'))!;
  t.same(stored.map((e) => e.id), ids, 'ids in request order');
  const sample = stored[1234]!.message;
  t.equal(JSON.parse(sample.e!).seq, 1234);
  t.equal(sample.t, String(base + 12340), 'event time stored');
  t.match(sample.a, /^\d{13}$/, 'arrival time stored');
  t.equal(sample.tp, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'trace context stored');
  // A traceparent that is not W3C Trace Context is not stored verbatim.
  for (const bad of ['00-00000000000000000000000000000000-b7ad6b7169203331-01', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\nX: y']) {
    const res2 = await app.inject({ method: 'POST', url: '/v1/streams/tp/events', headers: { 'content-type': 'application/json', traceparent: bad }, payload: [{ x: 1 }] });
    t.equal(res2.statusCode, 201);
  }
  const tps = ((await r.client.xRange(keys.events(part('tp', 0)), '-', '+')) ?? []).map((e) => e.message.tp ?? '');
  t.same(tps.filter((x) => x !== ''), [], 'no malformed traceparent was stored');
});

t.test('event time accepts epoch ms and ISO-8601; arrival time fills in when absent', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  await app.inject({ method: 'PUT', url: '/v1/streams/ev', payload: { timeField: 'meta.when' } });
  const res = await app.inject({
    method: 'POST',
    url: '/v1/streams/ev/events',
    payload: [{ meta: { when: 1767225600000 } }, { meta: { when: '2026-01-01T00:00:01.500Z' } }, { meta: { when: '2026-01-01T01:00:00+01:00' } }, { other: 1 }],
  });
  t.equal(res.statusCode, 201);
  const stored = (await r.client.xRange(keys.events(part('ev', 0)), '-', '+'))!;
  t.same(stored.slice(0, 3).map((e) => Number(e.message.t)), [1767225600000, 1767225601500, 1767225600000]);
  t.equal(stored[3]!.message.t, stored[3]!.message.a, 'no event time: the arrival time is used');
  t.notOk(stored[0]!.message.tp, 'no traceparent stored when none came in');
});
