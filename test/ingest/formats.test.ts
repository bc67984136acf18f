// CSV, MessagePack and Protobuf bodies: stored exactly as their JSON equivalent, typed by the
// stream's schema, refused whole naming the line or index, idempotent, and within the limits.
import t from 'tap';
import { encode } from '@msgpack/msgpack';
import protobuf from 'protobufjs';
import { MAX_PROTOBUF_SUBMESSAGES } from '../../src/ingest/formats/protobuf.js';
import type { FastifyInstance } from 'fastify';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';
import { rng } from '../helpers/rng.js';

const stored = async (r: TestRedis, stream: string) => ((await r.client.xRange(keys.events(part(stream, 0)), '-', '+')) ?? []).map((e) => JSON.parse(e.message.e!) as Record<string, unknown>);
const post = (app: FastifyInstance, stream: string, type: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: `/v1/streams/${stream}/events`, headers: { 'content-type': type, ...headers }, payload });

t.test('CSV', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);

  t.test('round trip: inferred types, quoted commas and newlines, empty = missing', async (t) => {
    const csv = 'region,amount,ok,note,zip,ts\r\neu,12.5,true,"a, b",007,1767225600000\nus,-3,false,"two\nlines ""quoted""",,\n"42",1e3,TRUE,,"",\n';
    const res = await post(app, 'csv1', 'text/csv', csv);
    t.equal(res.statusCode, 201, res.body);
    t.equal(res.json<{ ids: string[] }>().ids.length, 3);
    const json = [
      { region: 'eu', amount: 12.5, ok: true, note: 'a, b', zip: '007', ts: 1767225600000 },
      { region: 'us', amount: -3, ok: false, note: 'two\nlines "quoted"' },
      { region: '42', amount: 1000, ok: 'TRUE', zip: '' },
    ];
    t.equal((await post(app, 'json1', 'application/json', JSON.stringify(json))).statusCode, 201);
    t.same(await stored(r, 'csv1'), await stored(r, 'json1'), 'stored exactly as the JSON equivalent');
    t.strictSame(await stored(r, 'csv1'), json);
    const entries = (await r.client.xRange(keys.events(part('csv1', 0)), '-', '+'))!;
    t.equal(entries[0]!.message.t, '1767225600000', 'the time field is read like JSON');
  });

  t.test('values typed by the stream schema; DECIMAL stays exact text', async (t) => {
    const schema = {
      type: 'object',
      required: ['qty'],
      properties: { qty: { type: 'integer' }, price: { type: 'number' }, ok: { type: 'boolean' }, code: { type: 'string' }, amount: { 'x-sql-type': 'DECIMAL(12, 2)' }, maybe: { type: ['integer', 'null'] } },
    };
    t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/typed', payload: { schema } })).statusCode, 200);
    const res = await post(app, 'typed', 'text/csv', 'qty,price,ok,code,amount,maybe,extra\n"3",1.50,FALSE,007,19.99,,0042\n4,2,true,12,0.10,7,x\n');
    t.equal(res.statusCode, 201, res.body);
    t.strictSame(await stored(r, 'typed'), [
      { qty: 3, price: 1.5, ok: false, code: '007', amount: '19.99', extra: '0042' },
      { qty: 4, price: 2, ok: true, code: '12', amount: '0.10', maybe: 7, extra: 'x' },
    ]);
  });

  t.test('problems name the line and field; nothing is written', async (t) => {
    // Line numbers count the physical lines: the first event spans lines 2-3.
    const csv = 'qty,price,ok,code,amount\n1,2,true,"multi\nline",1.00\n2,abc,true,x,1.00\n3,1,true,x,1.999\n,1,true,x,1\n5,1,true,x,99999999999999999999\n';
    const res = await post(app, 'typed', 'text/csv', csv);
    const body = assertProblem(t, res, 400, 'SG_ERR_BAD_EVENTS');
    t.match(body.errors, [
      { index: 1, line: 4, field: '/price', message: /line 4: must be number/ },
      { index: 2, line: 5, field: '/amount', message: /line 5: .*DECIMAL\(12, 2\)/ },
      { index: 3, line: 6, field: '/qty', message: /line 6: .*qty/ },
    ]);
    t.equal(await r.client.xLen(keys.events(part('typed', 0))), 2, 'nothing more was written');

    const big = assertProblem(t, await post(app, 'typed', 'text/csv', 'qty\n1\n12345678901234567890\n'), 400, 'SG_ERR_BAD_EVENTS');
    t.match(big.errors, [{ index: 1, line: 3, field: '/qty', message: /beyond ±2\^53/ }], 'an integer a double cannot hold is refused, not rounded');

    const ragged = assertProblem(t, await post(app, 'csv2', 'text/csv', 'a,b\n1,2\n3\n4,5,6\n'), 400, 'SG_ERR_MALFORMED_BODY');
    t.match(ragged.errors, [{ index: 1, line: 3, message: /1 field\(s\), the header has 2/ }, { index: 2, line: 4 }]);
    const unclosed = assertProblem(t, await post(app, 'csv2', 'text/csv', 'a,b\n1,2\n"3,4\n'), 400, 'SG_ERR_MALFORMED_BODY');
    t.match(unclosed.errors, [{ line: 3, message: /Quote Not Closed/ }]);
    assertProblem(t, await post(app, 'csv2', 'text/csv', 'a,a\n1,2\n'), 400, 'SG_ERR_MALFORMED_BODY');
    assertProblem(t, await post(app, 'csv2', 'text/csv', 'a,b\n'), 400, 'SG_ERR_MALFORMED_BODY');
    assertProblem(t, await post(app, 'csv2', 'text/csv', '__proto__,b\n1,2\n'), 400, 'SG_ERR_PROTOTYPE_POISONING');
    t.equal(await r.client.xLen(keys.events(part('csv2', 0))), 0, 'refused bodies write nothing');
  });

  t.test('Idempotency-Key and per-event id make a retry a no-op', async (t) => {
    const csv = 'id,v\norder-1,1\norder-2,2\n';
    const first = await post(app, 'csv3', 'text/csv', csv, { 'idempotency-key': 'csv-batch-1' });
    t.equal(first.statusCode, 201);
    const again = await post(app, 'csv3', 'text/csv', csv, { 'idempotency-key': 'csv-batch-1' });
    t.equal(again.statusCode, 201);
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.same(again.json(), first.json(), 'the same ids');
    const byId = await post(app, 'csv3', 'text/csv', 'id,v\norder-2,2\norder-3,3\n');
    t.equal(byId.json<{ ids: string[] }>().ids[0], first.json<{ ids: string[] }>().ids[1], 'a repeated event id returns the first entry');
    t.equal(await r.client.xLen(keys.events(part('csv3', 0))), 3);
    assertProblem(t, await post(app, 'csv3', 'text/csv', 'id,v\norder-9,9\n', { 'idempotency-key': 'csv-batch-1' }), 422, 'SG_ERR_IDEMPOTENCY_MISMATCH');
  });
});

t.test('MessagePack', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);

  t.test('a map or an array of maps, stored as the JSON equivalent', async (t) => {
    const events = [
      { region: 'eu', amount: 12.5, n: 2 ** 40, neg: -(2 ** 53 - 1), ok: true, none: null, nested: { a: [1, 'x', { b: false }] }, ts: '2026-01-01T00:00:00.000Z' },
      { region: 'us', amount: -0.25, id: 'e-2' },
    ];
    t.equal((await post(app, 'mp', 'application/msgpack', Buffer.from(encode(events)))).statusCode, 201);
    t.equal((await post(app, 'mp', 'application/x-msgpack', Buffer.from(encode({ one: 1 })))).statusCode, 201, 'x-msgpack and a single map');
    t.equal((await post(app, 'mpjson', 'application/json', JSON.stringify([...events, { one: 1 }]))).statusCode, 201);
    t.strictSame(await stored(r, 'mp'), await stored(r, 'mpjson'));
    // int64 and uint64 encodings (as other languages' encoders send them) of safe values are numbers.
    const int64 = Buffer.from(encode({ small: 5n, big: 2n ** 53n - 1n }, { useBigInt64: true }));
    t.equal((await post(app, 'mp64', 'application/msgpack', int64)).statusCode, 201);
    t.strictSame(await stored(r, 'mp64'), [{ small: 5, big: 2 ** 53 - 1 }]);
    const bin = Buffer.from(encode({ raw: new Uint8Array([1, 2, 255]), at: new Date(Date.UTC(2026, 0, 1)) }));
    t.equal((await post(app, 'mpbin', 'application/msgpack', bin)).statusCode, 201);
    t.strictSame(await stored(r, 'mpbin'), [{ raw: 'AQL/', at: '2026-01-01T00:00:00.000Z' }], 'binary as base64, a timestamp as ISO text');
  });

  t.test('values JSON cannot hold exactly are refused by index and field; nothing is written', async (t) => {
    const body = Buffer.from(encode([{ ok: 1 }, { deep: { id: 2n ** 63n - 1n } }, { f: Number.NaN }], { useBigInt64: true }));
    const p = assertProblem(t, await post(app, 'mpbad', 'application/msgpack', body), 400, 'SG_ERR_BAD_EVENTS');
    t.match(p.errors, [
      { index: 1, field: '/deep/id', message: /9223372036854775807 is beyond ±2\^53/ },
      { index: 2, field: '/f', message: /NaN/ },
    ]);
    const notMap = assertProblem(t, await post(app, 'mpbad', 'application/msgpack', Buffer.from(encode([{ a: 1 }, 'text']))), 400, 'SG_ERR_BAD_EVENTS');
    t.match(notMap.errors, [{ index: 1, message: /must be a JSON object/ }]);
    assertProblem(t, await post(app, 'mpbad', 'application/msgpack', Buffer.from([0x92, 0x81])), 400, 'SG_ERR_MALFORMED_BODY');
    // A hand-made map { "__proto__": 1 }: encoders do not emit it from a plain object.
    assertProblem(t, await post(app, 'mpbad', 'application/msgpack', Buffer.from([0x81, 0xa9, ...Buffer.from('__proto__'), 0x01])), 400, 'SG_ERR_PROTOTYPE_POISONING');
    const poison = Buffer.from(encode({ constructor: { prototype: { x: 1 } } }));
    assertProblem(t, await post(app, 'mpbad', 'application/msgpack', poison), 400, 'SG_ERR_PROTOTYPE_POISONING');
    t.equal(await r.client.xLen(keys.events(part('mpbad', 0))), 0);
  });

  t.test('idempotent retry', async (t) => {
    const body = Buffer.from(encode([{ v: 1 }, { v: 2 }]));
    const first = await post(app, 'mpidem', 'application/msgpack', body, { 'idempotency-key': 'mp-1' });
    const again = await post(app, 'mpidem', 'application/msgpack', body, { 'idempotency-key': 'mp-1' });
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.same(again.json(), first.json());
    t.equal(await r.client.xLen(keys.events(part('mpidem', 0))), 2);
  });
});

const PROTO = `
syntax = "proto3";
package shop;
enum Region { REGION_UNSPECIFIED = 0; EU = 1; US = 2; }
message Line { string sku = 1; int32 qty = 2; }
message Order {
  string id = 1;
  Region region = 2;
  double amount = 3;
  int64 ts = 4;
  uint64 big = 5;
  bytes blob = 6;
  repeated Line lines = 7;
  map<string, int64> counts = 8;
  Line first = 9;
  bool paid = 10;
}
`;

t.test('Protobuf with a registered .proto', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const Order = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('shop.Order');
  const encodeOrder = (o: Record<string, unknown>) => Buffer.from(Order.encode(Order.fromObject(o)).finish());
  const delimited = (os: Record<string, unknown>[]) => Buffer.concat(os.map((o) => Buffer.from(Order.encodeDelimited(Order.fromObject(o)).finish())));

  t.test('a .proto that does not compile, or a type it lacks, is refused when stored', async (t) => {
    const bad = assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/pb', payload: { protobuf: { proto: 'syntax = "proto3"; message X { strin a = 1; }', message: 'X' } } }), 400, 'SG_ERR_BAD_SCHEMA');
    t.match(bad.errors, [{ field: '/protobuf/proto', message: /strin/ }]);
    const missing = assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/pb', payload: { protobuf: { proto: PROTO, message: 'shop.Nope' } } }), 400, 'SG_ERR_BAD_SCHEMA');
    t.match(missing.errors, [{ field: '/protobuf/message', message: /no message type "shop.Nope".*shop.Order/ }]);
    assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/pb', payload: { protobuf: { proto: PROTO } } }), 400, 'SG_ERR_VALIDATION');
  });

  t.test('a body of many tiny sub-messages is refused before it is decoded', async (t) => {
    await app.inject({ method: 'PUT', url: '/v1/streams/pbflood', payload: { protobuf: { proto: PROTO, message: 'shop.Order' } } });
    // Field 7 (repeated Line), length 0: two bytes per sub-message, each a full object once decoded.
    const flood = Buffer.alloc(2 * (MAX_PROTOBUF_SUBMESSAGES + 1));
    for (let i = 0; i < flood.length; i += 2) flood[i] = (7 << 3) | 2;
    const p = assertProblem(t, await post(app, 'pbflood', 'application/x-protobuf', flood), 413, 'SG_ERR_TOO_MANY_EVENTS');
    t.match(p.detail, /sub-messages/);
    t.equal(await r.client.xLen(keys.events(part('pbflood', 0))).catch(() => 0), 0, 'nothing written');
    const fine = Buffer.concat([encodeOrder({ id: 'ok', lines: Array.from({ length: 1000 }, () => ({ sku: 's', qty: 1 })) })]);
    t.equal((await post(app, 'pbflood', 'application/x-protobuf', fine)).statusCode, 201, '1,000 sub-messages are fine');
  });

  t.test('without a registered .proto: 415, nothing written', async (t) => {
    const p = assertProblem(t, await post(app, 'nopb', 'application/x-protobuf', encodeOrder({ id: 'x' })), 415, 'SG_ERR_UNSUPPORTED_MEDIA_TYPE');
    t.match(p.detail, /no \.proto registered/);
    t.equal(await r.client.xLen(keys.events(part('nopb', 0))), 0);
  });

  t.test('one message, and a delimited sequence, decoded to plain values', async (t) => {
    const put = await app.inject({ method: 'PUT', url: '/v1/streams/pb', payload: { protobuf: { proto: PROTO, message: 'shop.Order' } } });
    t.equal(put.statusCode, 200, put.body);
    t.equal(put.json<{ protobuf: { message: string } }>().protobuf.message, 'shop.Order', 'the config shows it');
    const order = { id: 'o-1', region: 'EU', amount: 12.5, ts: 1767225600000, big: '18446744073709551615', blob: Buffer.from([1, 2, 255]), lines: [{ sku: 'a', qty: 2 }], counts: { x: 3 }, first: { sku: 'b', qty: 0 }, paid: true };
    const one = await post(app, 'pb', 'application/x-protobuf', encodeOrder(order));
    t.equal(one.statusCode, 201, one.body);
    const many = await post(app, 'pb', 'application/x-protobuf; delimited=true', delimited([{ id: 'o-2', region: 'US' }, { id: 'o-3', amount: 1 }]));
    t.equal(many.statusCode, 201, many.body);
    t.equal(many.json<{ ids: string[] }>().ids.length, 2);
    const zero = { region: 'REGION_UNSPECIFIED', amount: 0, ts: 0, big: 0, blob: '', lines: [], counts: {}, paid: false };
    t.strictSame(await stored(r, 'pb'), [
      { id: 'o-1', region: 'EU', amount: 12.5, ts: 1767225600000, big: '18446744073709551615', blob: 'AQL/', lines: [{ sku: 'a', qty: 2 }], counts: { x: 3 }, first: { sku: 'b', qty: 0 }, paid: true },
      { ...zero, id: 'o-2', region: 'US' },
      { ...zero, id: 'o-3', amount: 1 },
    ]);
    const entries = (await r.client.xRange(keys.events(part('pb', 0)), '-', '+'))!;
    t.equal(entries[0]!.message.t, '1767225600000', 'an int64 time field is the event time');
    t.equal((await post(app, 'pb', 'application/x-protobuf', delimited([{ id: 'o-2' }]).subarray(0, 3))).statusCode, 400, 'a bad body');
  });

  t.test('a bad message names its index; the schema applies; idempotent retry', async (t) => {
    await app.inject({ method: 'PUT', url: '/v1/streams/pb2', payload: { protobuf: { proto: PROTO, message: 'shop.Order' }, schema: { type: 'object', properties: { amount: { type: 'number', minimum: 0 } } } } });
    const good = Buffer.from(Order.encodeDelimited(Order.fromObject({ id: 'ok' })).finish());
    const garbage = Buffer.from([3, 0xff, 0xff, 0xff]);
    const neg = Buffer.from(Order.encodeDelimited(Order.fromObject({ id: 'neg', amount: -1 })).finish());
    const p = assertProblem(t, await post(app, 'pb2', 'application/x-protobuf; delimited=true', Buffer.concat([good, garbage, neg])), 400, 'SG_ERR_BAD_EVENTS');
    t.match(p.errors, [{ index: 1, message: /not a valid shop.Order message/ }]);
    const p2 = assertProblem(t, await post(app, 'pb2', 'application/x-protobuf; delimited=true', Buffer.concat([good, neg])), 400, 'SG_ERR_BAD_EVENTS');
    t.match(p2.errors, [{ index: 1, field: '/amount', message: /must be >= 0/ }]);
    t.equal(await r.client.xLen(keys.events(part('pb2', 0))), 0, 'nothing written');
    const body = delimited([{ id: 'a' }, { id: 'b' }]);
    const first = await post(app, 'pb2', 'application/x-protobuf; delimited=true', body, { 'idempotency-key': 'pb-1' });
    const again = await post(app, 'pb2', 'application/x-protobuf; delimited=true', body, { 'idempotency-key': 'pb-1' });
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.same(again.json(), first.json());
    t.equal(await r.client.xLen(keys.events(part('pb2', 0))), 2);
  });
});

t.test('limits: MAX_EVENTS_PER_REQUEST and BODY_LIMIT_BYTES hold for every format', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { MAX_EVENTS_PER_REQUEST: '3', BODY_LIMIT_BYTES: '4096' });
  await app.inject({ method: 'PUT', url: '/v1/streams/lim', payload: { protobuf: { proto: PROTO, message: 'shop.Order' } } });
  const Order = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('shop.Order');
  const four = [1, 2, 3, 4].map((v) => ({ id: `e${v}` }));
  const three = four.slice(0, 3);
  const pb = (os: typeof four) => Buffer.concat(os.map((o) => Buffer.from(Order.encodeDelimited(Order.fromObject(o)).finish())));
  const csv = (os: typeof four) => 'id\n' + os.map((o) => o.id).join('\n') + '\n';
  for (const [type, body, ok] of [
    ['text/csv', csv(four), csv(three)],
    ['application/msgpack', Buffer.from(encode(four)), Buffer.from(encode(three))],
    ['application/x-protobuf; delimited=true', pb(four), pb(three)],
  ] as const) {
    assertProblem(t, await post(app, 'lim', type, body), 413, 'SG_ERR_TOO_MANY_EVENTS');
    t.equal((await post(app, 'lim', type, ok)).statusCode, 201, `${type}: a batch at the limit is written`);
  }
  t.equal(await r.client.xLen(keys.events(part('lim', 0))), 3, 'each batch of three repeated the same event ids');
  const big = 'x'.repeat(5000);
  for (const [type, body] of [
    ['text/csv', `a\n${big}\n`],
    ['application/msgpack', Buffer.from(encode({ a: big }))],
    ['application/x-protobuf', Buffer.from(Order.encode(Order.fromObject({ id: big })).finish())],
  ] as const) {
    assertProblem(t, await post(app, 'lim', type, body), 413, 'SG_ERR_BODY_TOO_LARGE');
  }
  assertProblem(t, await post(app, 'lim', 'application/xml', '<a/>'), 415, 'SG_ERR_UNSUPPORTED_MEDIA_TYPE');
  assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/lim2', headers: { 'content-type': 'text/csv' }, payload: 'a\n1\n' }), 415, 'SG_ERR_UNSUPPORTED_MEDIA_TYPE');
});

/** A CSV text of events whose strings are always quoted (so "12" stays text) and missing fields empty. */
function toCsv(events: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? `"${v.replaceAll('"', '""')}"` : JSON.stringify(v));
  return [columns.join(','), ...events.map((e) => columns.map((c) => cell(e[c])).join(','))].join('\r\n') + '\r\n';
}

t.test('differential: the same random events as JSON, CSV and MessagePack are stored identically', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const rand = rng(15);
  const columns = ['id', 'region', 'amount', 'qty', 'ok', 'note', 'ts'];
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const text = () => pick(['', 'plain', 'a,b', 'line\nbreak', 'quote "q"', '12', 'true', ' spaced ', 'ünï©ødé', '007', '-', 'null']);
  for (let round = 0; round < 5; round++) {
    const events = Array.from({ length: 200 }, (_, i) => {
      const e: Record<string, unknown> = {};
      if (rand() < 0.5) e.id = `r${round}-${i}`;
      if (rand() < 0.9) e.region = pick(['eu', 'us', 'apac']);
      if (rand() < 0.9) e.amount = pick([Math.round(rand() * 1e6) / 100, -rand() * 10, 0, 1e21, 5e-7]);
      if (rand() < 0.8) e.qty = Math.floor(rand() * 2 ** 53) * (rand() < 0.5 ? -1 : 1);
      if (rand() < 0.7) e.ok = rand() < 0.5;
      if (rand() < 0.7) e.note = text();
      if (rand() < 0.5) e.ts = Date.UTC(2026, 0, 1) + Math.floor(rand() * 1e9);
      return e;
    });
    const [a, b, c] = await Promise.all([
      post(app, 'd-json', 'application/json', JSON.stringify(events)),
      post(app, 'd-csv', 'text/csv', toCsv(events, columns)),
      post(app, 'd-mp', 'application/msgpack', Buffer.from(encode(events))),
    ]);
    t.same([a.statusCode, b.statusCode, c.statusCode], [201, 201, 201], b.body);
  }
  const [json, csv, mp] = (await Promise.all(['d-json', 'd-csv', 'd-mp'].map((s) => stored(r, s)))) as [unknown[], unknown[], unknown[]];
  t.equal(json.length, 1000);
  t.strictSame(csv, json, 'CSV = JSON');
  t.strictSame(mp, json, 'MessagePack = JSON');
  // Events without a time field get their arrival time: only the others can be compared.
  const times = async (s: string) => ((await r.client.xRange(keys.events(part(s, 0)), '-', '+')) ?? []).map((e) => (JSON.parse(e.message.e!).ts === undefined ? '' : e.message.t));
  const jsonTimes = await times('d-json');
  t.strictSame(await times('d-csv'), jsonTimes, 'the same event times');
  t.strictSame(await times('d-mp'), jsonTimes);
});
