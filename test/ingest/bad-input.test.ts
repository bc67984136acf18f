// Every class of bad input gets the right 4xx problem+json and writes nothing.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';
import { keys } from '../../src/redis/keys.js';
import type { InjectOptions } from 'fastify';
import { part } from '../helpers/partitions.js';

t.test('bad input is refused with problem+json and the stream is unchanged', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { BODY_LIMIT_BYTES: '4096', MAX_EVENTS_PER_REQUEST: '5' });
  const url = '/v1/streams/orders/events';
  const put = await app.inject({
    method: 'PUT',
    url: '/v1/streams/orders',
    payload: { schema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } } },
  });
  t.equal(put.statusCode, 200);
  const seed = await app.inject({ method: 'POST', url, payload: [{ amount: 1 }, { amount: 2 }] });
  t.equal(seed.statusCode, 201);
  const length = () => r.client.xLen(keys.events(part('orders', 0)));
  t.equal(await length(), 2);

  const json = { 'content-type': 'application/json' };
  const cases: { name: string; status: number; code: string; req: InjectOptions; check?: (p: { errors?: { index?: number; field: string }[] }) => void }[] = [
    { name: 'malformed JSON', status: 400, code: 'SG_ERR_MALFORMED_BODY', req: { method: 'POST', url, headers: json, payload: '{"amount": 1,' } },
    { name: 'empty body', status: 400, code: 'SG_ERR_MALFORMED_BODY', req: { method: 'POST', url, headers: json, payload: '' } },
    { name: 'wrong content type', status: 415, code: 'SG_ERR_UNSUPPORTED_MEDIA_TYPE', req: { method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: 'amount=1' } },
    {
      name: 'non-object event in an array', status: 400, code: 'SG_ERR_BAD_EVENTS',
      req: { method: 'POST', url, payload: [{ amount: 1 }, 42, { amount: 3 }] },
      check: (p) => t.same(p.errors?.map((e) => e.index), [1]),
    },
    { name: 'a bare string body', status: 400, code: 'SG_ERR_BAD_EVENTS', req: { method: 'POST', url, headers: json, payload: '"hello"' } },
    {
      name: 'schema violation names index and field', status: 400, code: 'SG_ERR_BAD_EVENTS',
      req: { method: 'POST', url, payload: [{ amount: 1 }, { amount: 'ten' }, {}] },
      check: (p) => t.same(p.errors?.map((e) => [e.index, e.field]), [[1, '/amount'], [2, '/amount']]),
    },
    {
      name: 'bad event time', status: 400, code: 'SG_ERR_BAD_EVENTS',
      req: { method: 'POST', url, payload: [{ amount: 1, ts: 'yesterday' }, { amount: 1, ts: 1.5 }, { amount: 1, ts: true }] },
      check: (p) => t.same(p.errors?.map((e) => [e.index, e.field]), [[0, '/ts'], [1, '/ts'], [2, '/ts']]),
    },
    { name: 'bad event id type', status: 400, code: 'SG_ERR_BAD_EVENTS', req: { method: 'POST', url, payload: [{ amount: 1, id: { x: 1 } }] } },
    { name: 'empty array', status: 400, code: 'SG_ERR_BAD_EVENTS', req: { method: 'POST', url, payload: [] } },
    { name: 'bad stream name', status: 400, code: 'SG_ERR_VALIDATION', req: { method: 'POST', url: '/v1/streams/bad%20name!/events', payload: { amount: 1 } } },
    { name: 'stream name too long', status: 400, code: 'SG_ERR_VALIDATION', req: { method: 'POST', url: `/v1/streams/${'x'.repeat(129)}/events`, payload: { amount: 1 } } },
    { name: 'body too large', status: 413, code: 'SG_ERR_BODY_TOO_LARGE', req: { method: 'POST', url, payload: [{ amount: 1, pad: 'x'.repeat(5000) }] } },
    { name: 'too many events', status: 413, code: 'SG_ERR_TOO_MANY_EVENTS', req: { method: 'POST', url, payload: Array.from({ length: 6 }, () => ({ amount: 1 })) } },
    { name: 'prototype poisoning (JSON)', status: 400, code: 'SG_ERR_PROTOTYPE_POISONING', req: { method: 'POST', url, headers: json, payload: '[{"amount":1,"__proto__":{"isAdmin":true}}]' } },
    { name: 'constructor poisoning (JSON)', status: 400, code: 'SG_ERR_PROTOTYPE_POISONING', req: { method: 'POST', url, headers: json, payload: '{"amount":1,"constructor":{"prototype":{"x":1}}}' } },
    {
      name: 'prototype poisoning (NDJSON)', status: 400, code: 'SG_ERR_PROTOTYPE_POISONING',
      req: { method: 'POST', url, headers: { 'content-type': 'application/x-ndjson' }, payload: '{"amount":1}\n{"amount":2,"__proto__":{"x":1}}\n' },
    },
    {
      name: 'malformed NDJSON line', status: 400, code: 'SG_ERR_MALFORMED_BODY',
      req: { method: 'POST', url, headers: { 'content-type': 'application/x-ndjson' }, payload: '{"amount":1}\n{"amount":\n{"amount":3}\n' },
      check: (p) => t.same(p.errors?.map((e) => e.index), [1]),
    },
    { name: 'idempotency key too long', status: 400, code: 'SG_ERR_VALIDATION', req: { method: 'POST', url, headers: { 'idempotency-key': 'k'.repeat(300) }, payload: { amount: 1 } } },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const res = await app.inject(c.req);
      const p = assertProblem(t, res, c.status, c.code);
      c.check?.(p);
      t.equal(await length(), 2, 'nothing written');
    });
  }
});

t.test('first 20 problems are listed for a large bad batch', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: Array.from({ length: 100 }, (_, i) => (i % 2 ? { ts: 'bad' } : { ok: 1 })) });
  const p = assertProblem(t, res, 400, 'SG_ERR_BAD_EVENTS');
  t.equal(p.errors?.length, 20);
  t.match(p.detail, /50 of 100/);
  t.equal(await r.client.exists(keys.events(part('s', 0))), 0, 'no stream key written');
});

t.test('strict mode refuses an unknown stream with 404', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { STRICT_STREAMS: 'true' });
  const res = await app.inject({ method: 'POST', url: '/v1/streams/nope/events', payload: { a: 1 } });
  assertProblem(t, res, 404, 'SG_ERR_STREAM_NOT_FOUND');
  t.equal(await r.client.exists(keys.events(part('nope', 0))), 0);
  const put = await app.inject({ method: 'PUT', url: '/v1/streams/nope', payload: {} });
  t.equal(put.statusCode, 200);
  const ok = await app.inject({ method: 'POST', url: '/v1/streams/nope/events', payload: { a: 1 } });
  t.equal(ok.statusCode, 201, 'accepted once created');
});

t.test('unknown route and unknown stream answer 404 problem+json', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  assertProblem(t, await app.inject({ method: 'GET', url: '/v1/nothing' }), 404, 'SG_ERR_NOT_FOUND');
  assertProblem(t, await app.inject({ method: 'GET', url: '/v1/streams/missing' }), 404, 'SG_ERR_STREAM_NOT_FOUND');
});
