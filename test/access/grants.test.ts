// Per-key grants across two real gateway processes: streams by pattern (ingest, reads, SQL FROM),
// queries by owner or pattern (list, get, results, live results over WebSocket and SSE, alerts).
import t from 'tap';
import WebSocket from 'ws';
import { startRedis } from '../helpers/redis.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

const KEYS = {
  orders: 'orders-key-0123456789abcdef',
  clicks: 'clicks-key-0123456789abcdef',
  viewer: 'viewer-key-0123456789abcdef',
  admin: 'admin-key-0123456789abcdefgh',
};
const API_KEYS = JSON.stringify([
  { name: 'orders-team', key: KEYS.orders, scopes: ['ingest', 'query', 'subscribe'], streams: ['orders*'] },
  { name: 'clicks-team', key: KEYS.clicks, scopes: ['ingest', 'query', 'subscribe'], streams: ['clicks'] },
  // Sees the orders team's shared dashboards by name, and no stream of its own.
  { name: 'viewer', key: KEYS.viewer, scopes: ['query', 'subscribe'], streams: [], queries: ['dash-*'] },
  { name: 'ops', key: KEYS.admin, scopes: ['admin'] },
]);

type Who = keyof typeof KEYS;

function api(g: Gateway) {
  return async (who: Who, method: string, path: string, body?: unknown) => {
    const res = await fetch(g.url + path, {
      method,
      headers: { authorization: `Bearer ${KEYS[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

/** Opens /v1/queries/{id}/subscribe and reports the HTTP refusal status, or 101. */
function subscribeStatus(g: Gateway, who: Who, id: string): Promise<number> {
  return new Promise((ok) => {
    const ws = new WebSocket(`${g.url.replace('http', 'ws')}/v1/queries/${id}/subscribe`, { headers: { authorization: `Bearer ${KEYS[who]}` } });
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      ok(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('open', () => {
      ok(101);
      ws.close();
    });
  });
}

/** Sends one subscribe message over /v1/ws and returns the first answer's type and code. */
function socketSubscribe(g: Gateway, who: Who, id: string): Promise<{ type: string; code?: string }> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(`${g.url.replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${KEYS[who]}` } });
    ws.on('error', fail);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', query: id })));
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { type: string; code?: string };
      ws.close();
      ok(msg);
    });
  });
}

t.test('keys reach only their streams and queries, on every route and on both processes', async (t) => {
  const r = await startRedis(t);
  const env = { REDIS_URL: r.url, API_KEYS, LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', ALERT_LAG_ENTRIES: '1', ALERT_INTERVAL: '200ms' };
  const [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  t.teardown(async () => {
    await Promise.all([a.kill(), b.kill()]);
  });
  const onA = api(a);
  const onB = api(b);

  // Streams: ingest and reads by pattern.
  t.equal((await onA('orders', 'POST', '/v1/streams/orders/events', [{ k: 'x', amount: 5 }])).status, 201, 'orders* grants orders');
  t.equal((await onA('orders', 'POST', '/v1/streams/orders.eu/events', [{ k: 'y', amount: 7 }])).status, 201, 'orders* grants orders.eu');
  const refused = await onA('orders', 'POST', '/v1/streams/clicks/events', [{ k: 'x' }]);
  t.match(refused, { status: 403, body: { code: 'SG_ERR_STREAM_FORBIDDEN', detail: /"clicks"/ } }, 'not clicks');
  t.equal((await onB('clicks', 'POST', '/v1/streams/clicks/events', [{ page: '/' }])).status, 201);
  t.equal((await onA('admin', 'GET', '/v1/streams/clicks')).status, 200);
  t.match(await onA('orders', 'GET', '/v1/streams/clicks'), { status: 403, body: { code: 'SG_ERR_STREAM_FORBIDDEN' } });
  const ordersStreams = (await onB('orders', 'GET', '/v1/streams')).body.streams as { name: string }[];
  t.same(ordersStreams.map((s) => s.name).sort(), ['orders', 'orders.eu'], 'the list shows only granted streams');
  t.same((await onB('viewer', 'GET', '/v1/streams')).body.streams, [], 'a key with no stream patterns lists none');
  t.equal(((await onB('admin', 'GET', '/v1/streams')).body.streams as unknown[]).length, 3, 'admin lists all');

  // SQL reads only granted streams: validate and create refuse, and nothing is created.
  const sneaky = await onA('orders', 'POST', '/v1/queries', { sql: 'SELECT page, COUNT(*) AS n FROM clicks GROUP BY page' });
  t.match(sneaky, { status: 403, body: { code: 'SG_ERR_STREAM_FORBIDDEN' } }, 'FROM an ungranted stream');
  t.match(await onA('orders', 'POST', '/v1/queries/validate', { sql: 'SELECT LAST_VALUE(page) AS p FROM clicks' }), { status: 403, body: { code: 'SG_ERR_STREAM_FORBIDDEN' } });
  t.match(await onA('orders', 'POST', '/v1/queries', { sql: 'SELECT COUNT(*) AS n FROM newstream' }), { status: 403 }, 'nor creates a stream it is not granted');
  t.equal((await onA('admin', 'GET', '/v1/streams/newstream')).status, 404, 'the refused query created no stream');

  // Queries: owned by their creator's key name.
  const own = await onA('orders', 'POST', '/v1/queries', { sql: 'SELECT k, SUM(amount) AS total FROM orders GROUP BY k', name: 'orders-private', start: 'earliest' });
  t.equal(own.status, 201);
  t.equal(own.body.ownerKey, 'orders-team', 'the owner is the key name');
  const dash = await onA('orders', 'POST', '/v1/queries', { sql: 'SELECT COUNT(*) AS n FROM orders', name: 'dash-orders', start: 'earliest' });
  const clicksQ = await onB('clicks', 'POST', '/v1/queries', { sql: 'SELECT page, COUNT(*) AS n FROM clicks GROUP BY page', start: 'earliest' });
  const ids = { own: own.body.id as string, dash: dash.body.id as string, clicks: clicksQ.body.id as string };

  const names = async (g: typeof onA, who: Who) => ((await g(who, 'GET', '/v1/queries')).body.queries as { name: string }[]).map((q) => q.name).sort();
  t.same(await names(onB, 'orders'), ['dash-orders', 'orders-private'], 'the owner lists its queries, on the other process too');
  t.same(await names(onA, 'clicks'), ['clicks_query'], 'another team lists only its own');
  t.same(await names(onA, 'viewer'), ['dash-orders'], 'a queries pattern shares by name');
  t.same(await names(onB, 'admin'), ['clicks_query', 'dash-orders', 'orders-private'], 'admin lists all');

  for (const [who, id, expected] of [
    ['clicks', ids.own, 404],
    ['viewer', ids.own, 404],
    ['viewer', ids.dash, 200],
    ['orders', ids.clicks, 404],
    ['admin', ids.clicks, 200],
  ] as const) {
    t.equal((await onB(who, 'GET', `/v1/queries/${id}`)).status, expected, `${who} GET ${id}`);
    t.equal((await onA(who, 'GET', `/v1/queries/${id}/results`)).status, expected, `${who} results of ${id}`);
    t.equal(await subscribeStatus(b, who, id), expected === 200 ? 101 : 404, `${who} subscribe to ${id}`);
    const sse = await fetch(`${a.url}/v1/queries/${id}/events`, { headers: { authorization: `Bearer ${KEYS[who]}` } });
    t.equal(sse.status, expected, `${who} SSE of ${id}`);
    await sse.body?.cancel();
    const msg = await socketSubscribe(a, who, id);
    t.equal(expected === 200 ? msg.type : msg.code, expected === 200 ? 'snapshot' : 'SG_ERR_QUERY_NOT_FOUND', `${who} subscribe message for ${id}`);
  }
  const notFound = await onA('clicks', 'GET', `/v1/queries/${ids.own}`);
  t.equal(notFound.body.code, 'SG_ERR_QUERY_NOT_FOUND', 'a hidden query answers as an absent one');

  // The owner's results are its own.
  await waitUntil('the owner sees its results', async () => ((await onA('orders', 'GET', `/v1/queries/${ids.own}/results`)).body.rows as unknown[] | undefined)?.length === 1);

  // Alerts: each key sees those about queries it sees.
  const paused = await onA('admin', 'POST', `/v1/queries/${ids.clicks}/pause`);
  t.equal(paused.status, 200);
  await waitUntil('both processes let the paused query go', async () => ((await onB('admin', 'GET', `/v1/queries/${ids.clicks}`)).body.owners as string[]).length === 0);
  await onB('clicks', 'POST', '/v1/streams/clicks/events', [{ page: '/a' }, { page: '/b' }, { page: '/c' }]);
  const alertQueries = async (who: Who) => ((await onA(who, 'GET', '/v1/alerts')).body.alerts as { query?: string }[]).map((x) => x.query);
  await waitUntil('the lag alert on the paused query', async () => (await alertQueries('admin')).includes(ids.clicks));
  t.ok((await alertQueries('clicks')).includes(ids.clicks), 'its owner sees the alert');
  t.notOk((await alertQueries('orders')).includes(ids.clicks), 'another key does not');
});

t.test('API_KEYS in JSON form: a bad entry stops start-up naming it', async (t) => {
  const { parseApiKeys } = await import('../../src/config.js');
  t.throws(() => parseApiKeys('[{"name":"a","key":"0123456789abcdef","streams":["ord ers"]}]'), /entry 0 field "streams"/);
  t.throws(() => parseApiKeys('[{"name":"a","key":"0123456789abcdef","scopes":["admin"],"streams":["x"]}]'), /admin scope/);
  t.throws(() => parseApiKeys('[{"name":"a","key":"0123456789abcdef"},{"name":"a","key":"0123456789abcdeg"}]'), /entry 1 repeats the name "a"/);
  t.throws(() => parseApiKeys('[{"name":"a","key":"short"}]'), /entry 0 has a key shorter than 16/);
  t.throws(() => parseApiKeys('[{"name":"a","key":"0123456789abcdef","role":"x"}]'), /unknown field "role"/);
  t.throws(() => parseApiKeys('[{"name":"a"'), /not valid JSON/);
  const [k] = parseApiKeys('[{"name":"team-a","key":"0123456789abcdef","scopes":["query"],"queries":["dash-*"]}]');
  t.same({ label: k!.label, scopes: [...k!.scopes], streams: k!.streams, queries: k!.queries }, { label: 'team-a', scopes: ['query'], streams: ['*'], queries: ['dash-*'] }, 'streams default to every stream');
  const [short] = parseApiKeys('0123456789abcdef:query');
  t.same({ label: short!.label, streams: short!.streams, queries: short!.queries }, { label: 'key#0', streams: ['*'], queries: [] }, 'the short form: every stream, its own queries');
});
