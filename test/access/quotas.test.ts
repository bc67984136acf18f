// Per-key quotas hold on two real gateway processes together: queries owned, live subscriptions,
// push connections, ingest events per second and requests per window; a killed process's slots
// lapse. Every refusal is 429 problem+json with its code.
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { createClient } from 'redis';
import { startRedis } from '../helpers/redis.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

const A = 'team-a-key-0123456789abcdef';
const B = 'team-b-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdefgh';
const API_KEYS = JSON.stringify([
  { name: 'team-a', key: A, scopes: ['ingest', 'query', 'subscribe'] },
  { name: 'team-b', key: B, scopes: ['ingest', 'query', 'subscribe'] },
  { name: 'ops', key: ADMIN, scopes: ['admin'] },
]);

async function call(g: Gateway, key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(g.url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Opens a WebSocket; resolves with it once open, or with the HTTP status that refused it. */
function open(url: string, key: string): Promise<{ ws?: WebSocket; status: number }> {
  return new Promise((ok) => {
    const ws = new WebSocket(url.replace('http', 'ws'), { headers: { authorization: `Bearer ${key}` } });
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      ok({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.on('open', () => ok({ ws, status: 101 }));
  });
}

function firstMessage(ws: WebSocket, send: unknown): Promise<{ type: string; code?: string }> {
  return new Promise((ok) => {
    ws.once('message', (data: Buffer) => ok(JSON.parse(data.toString()) as { type: string; code?: string }));
    ws.send(JSON.stringify(send));
  });
}

async function twoGateways(t: Test, extra: Record<string, string>): Promise<[Gateway, Gateway, string]> {
  const r = await startRedis(t);
  const env = { REDIS_URL: r.url, API_KEYS, LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', ...extra };
  const [a, b] = await Promise.all([startGateway(env), startGateway(env)]);
  t.teardown(async () => {
    await Promise.all([a.kill(), b.kill()]);
  });
  return [a, b, r.url];
}

t.test('queries per key: the quota holds across processes, also for concurrent registrations, and leaves no groups behind', async (t) => {
  const [a, b, redisUrl] = await twoGateways(t, { QUOTA_QUERIES_PER_KEY: '3' });
  const sql = (i: number) => ({ sql: `SELECT k, COUNT(*) AS n${i} FROM s GROUP BY k` });
  // Six registrations at once, three on each process: exactly three pass.
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => call(i % 2 ? b : a, A, 'POST', '/v1/queries', sql(i))));
  t.equal(results.filter((r) => r.status === 201).length, 3, 'three of six concurrent registrations pass');
  const refused = results.filter((r) => r.status !== 201);
  t.same(refused.map((r) => [r.status, r.body.code]), [[429, 'SG_ERR_QUOTA_EXCEEDED'], [429, 'SG_ERR_QUOTA_EXCEEDED'], [429, 'SG_ERR_QUOTA_EXCEEDED']]);
  t.match(refused[0]!.type, /application\/problem\+json/);
  t.match(refused[0]!.body.detail, /QUOTA_QUERIES_PER_KEY/);
  t.equal((await call(b, B, 'POST', '/v1/queries', sql(9))).status, 201, 'another key has its own quota');
  t.equal((await call(a, ADMIN, 'POST', '/v1/queries', sql(10))).status, 201, 'admin keys have none');

  const redis = createClient({ url: redisUrl });
  await redis.connect();
  t.teardown(() => redis.close());
  const groups = await redis.xInfoGroups('sg:{s#0}:events');
  t.equal(groups.length, 5, 'a refused registration leaves no consumer group');

  const owned = (await call(a, A, 'GET', '/v1/queries')).body.queries as { id: string }[];
  t.equal((await call(b, ADMIN, 'DELETE', `/v1/queries/${owned[0]!.id}`)).status, 204);
  t.equal((await call(b, A, 'POST', '/v1/queries', sql(11))).status, 201, 'a deleted query frees its place at once');
});

t.test('subscriptions and connections per key: counted on every process; a killed process frees its slots', async (t) => {
  const [a, b] = await twoGateways(t, { WS_MAX_SUBSCRIPTIONS_PER_KEY: '3', QUOTA_CONNECTIONS_PER_KEY: '3' });
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push((await call(a, A, 'POST', '/v1/queries', { sql: `SELECT COUNT(*) AS n${i} FROM s` })).body.id as string);
  const sub = (g: Gateway, id: string) => open(`${g.url}/v1/queries/${id}/subscribe`, A);
  const first = await sub(a, ids[0]!);
  const second = await sub(a, ids[1]!);
  t.same([first.status, second.status], [101, 101]);
  // One socket on the other process, holding the third subscription.
  const mux = await open(`${b.url}/v1/ws`, A);
  t.equal(mux.status, 101);
  t.equal((await firstMessage(mux.ws!, { type: 'subscribe', query: ids[2] })).type, 'snapshot');
  t.match(await firstMessage(mux.ws!, { type: 'subscribe', query: ids[3] }), { type: 'error', code: 'SG_ERR_TOO_MANY_SUBSCRIPTIONS' }, 'the fourth subscription, on the other process, is refused');
  t.equal((await sub(b, ids[3]!)).status, 429, 'and a fourth one-query socket gets 429 before any upgrade');
  const sse = await fetch(`${b.url}/v1/queries/${ids[3]}/events`, { headers: { authorization: `Bearer ${A}` } });
  t.equal(sse.status, 429, 'and so does SSE');
  await sse.body?.cancel();
  t.equal((await open(`${a.url}/v1/ws`, A)).status, 429, 'a fourth connection is refused (QUOTA_CONNECTIONS_PER_KEY)');
  const theirs = (await call(a, B, 'POST', '/v1/queries', { sql: 'SELECT COUNT(*) AS total FROM s' })).body.id as string;
  const other = await open(`${a.url}/v1/queries/${theirs}/subscribe`, B);
  t.equal(other.status, 101, 'another key is not affected');
  other.ws!.close();

  first.ws!.close();
  await waitUntil('a closed subscription frees its slot', async () => {
    const s = await sub(b, ids[0]!);
    if (s.status !== 101) return false;
    s.ws!.close();
    return true;
  });
  // Process A dies holding one subscription: its slot lapses after LEASE_TTL.
  await a.kill('SIGKILL');
  const started = Date.now();
  await waitUntil('the killed process\'s slots lapse', async () => {
    const s = await sub(b, ids[1]!);
    if (s.status !== 101) return false;
    s.ws!.close();
    return true;
  }, 30_000, 200);
  t.ok(Date.now() - started < 20_000, 'within a few lease TTLs');
  mux.ws!.close();
});

t.test('ingest events per second and requests per window, per key, on both processes together', async (t) => {
  const [a, b] = await twoGateways(t, { QUOTA_EVENTS_PER_SECOND: '100', RATE_LIMIT_MAX: '40', RATE_LIMIT_WINDOW: '30s' });
  const post = (g: Gateway, key: string, n: number) => call(g, key, 'POST', '/v1/streams/s/events', Array.from({ length: n }, (_, i) => ({ i })));
  t.equal((await post(a, A, 300)).status, 201, 'a batch larger than a second\'s quota is let in whole');
  const refused = await post(b, A, 1);
  t.match(refused, { status: 429, body: { code: 'SG_ERR_QUOTA_EXCEEDED' } }, 'and the next request, on the other process, waits out the overdraft');
  t.ok(Number(refused.retryAfter) >= 1, `Retry-After ${refused.retryAfter}`);
  t.equal((await post(b, B, 50)).status, 201, 'another key ingests meanwhile');
  await waitUntil('the bucket refills', async () => (await post(a, A, 1)).status === 201, 10_000, 250);

  // Requests per window: 40 in 30 s for this key, counted across both processes.
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) statuses.push((await call(i % 2 ? a : b, B, 'GET', '/v1/streams')).status);
  t.ok(statuses.filter((s) => s === 200).length <= 40, `at most 40 requests passed (${statuses.filter((s) => s === 200).length})`);
  t.ok(statuses.slice(-5).every((s) => s === 429), 'the last ones are refused');
  const limited = await call(a, B, 'GET', '/v1/streams');
  t.match(limited, { status: 429, body: { code: 'SG_ERR_RATE_LIMITED' } });
  t.ok(Number(limited.retryAfter) >= 1);
});
