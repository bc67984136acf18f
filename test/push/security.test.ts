// Upgrade refusals are HTTP answers before any 101: key, scope, Origin, subscription limit; plus inbound size.
import t from 'tap';
import WebSocket from 'ws';
import { startRedis } from '../helpers/redis.js';
import { listening } from '../helpers/push.js';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { connectRedis } from '../../src/redis/client.js';
import { buildApp } from '../../src/app.js';

const READER = 'reader-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const ENV = {
  API_KEYS: `${READER}:query,subscribe;${INGEST}:ingest,query`,
  WS_ALLOWED_ORIGINS: 'https://app.example.com',
  WS_MAX_SUBSCRIPTIONS_PER_KEY: '2',
  WS_MAX_MESSAGE_BYTES: '1024',
};

interface Outcome { status?: number; upgraded: boolean; protocol?: string; body?: string }

/** Opens a socket and reports the HTTP status of a refusal, or that it was upgraded (101). */
function attempt(url: string, opts: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<Outcome & { ws: WebSocket }> {
  return new Promise((ok) => {
    const ws = new WebSocket(url, protocols, opts);
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        req.destroy(); // ws leaves a refused handshake's request open for the listener to end
        ok({ status: res.statusCode, upgraded: false, body, ws });
      });
    });
    ws.on('upgrade', (res) => ok({ status: res.statusCode, upgraded: true, protocol: String(res.headers['sec-websocket-protocol']), ws }));
  });
}

t.test('auth, Origin and limits are checked before the upgrade', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url, ENV);
  const auth = { authorization: `Bearer ${READER}` };
  await app.inject({ method: 'POST', url: '/v1/streams/s/events', headers: { authorization: `Bearer ${INGEST}` }, payload: [{ k: 1 }] });
  const created = await app.inject({ method: 'POST', url: '/v1/queries', headers: auth, payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k', start: 'earliest' } });
  const id = created.json<{ id: string }>().id;
  const wsUrl = `${url.replace('http', 'ws')}/v1/queries/${id}/subscribe`;

  const anon = await attempt(wsUrl);
  t.equal(anon.status, 401, 'no key: 401, no 101');
  t.notOk(anon.upgraded);
  t.match(JSON.parse(anon.body!), { code: 'SG_ERR_UNAUTHORIZED' }, 'as problem+json');

  const wrongScope = await attempt(wsUrl, { headers: { authorization: `Bearer ${INGEST}` } });
  t.equal(wrongScope.status, 403, 'a key without the subscribe scope: 403');

  const badOrigin = await attempt(wsUrl, { headers: { ...auth, origin: 'https://evil.example.com' } });
  t.equal(badOrigin.status, 403, 'an Origin outside WS_ALLOWED_ORIGINS: 403, no 101');
  t.match(JSON.parse(badOrigin.body!), { code: 'SG_ERR_ORIGIN_FORBIDDEN' });

  const missing = await attempt(`${url.replace('http', 'ws')}/v1/queries/q_0000000000000000/subscribe`, { headers: auth });
  t.equal(missing.status, 404, 'unknown query: 404');
  const badFrom = await attempt(`${wsUrl}?from=yesterday`, { headers: auth });
  t.equal(badFrom.status, 400, 'malformed from: 400');

  const plain = await app.inject({ method: 'GET', url: `/v1/queries/${id}/subscribe`, headers: auth });
  t.equal(plain.statusCode, 426, 'a plain GET: 426 Upgrade Required');

  // A browser: key in the `bearer.<key>` subprotocol next to ours; only ours is echoed.
  const browser = await attempt(wsUrl, { headers: { origin: 'https://app.example.com' } }, ['streamgate.v1', `bearer.${READER}`]);
  t.ok(browser.upgraded, 'a good Origin with the key as a subprotocol upgrades');
  t.equal(browser.protocol, 'streamgate.v1', 'the server selects streamgate.v1, never echoes the key');
  const withToken = await attempt(`${wsUrl}?access_token=${READER}`);
  t.ok(withToken.upgraded, 'access_token parameter works too');

  const third = await attempt(wsUrl, { headers: auth });
  t.equal(third.status, 429, 'a third subscription for the key (limit 2): 429');
  browser.ws.close();
  withToken.ws.close();
  await new Promise((ok) => setTimeout(ok, 200));
  const again = await attempt(wsUrl, { headers: auth });
  t.ok(again.upgraded, 'closing frees the slots');
  again.ws.close();

  const mux = await attempt(`${url.replace('http', 'ws')}/v1/ws`, { headers: auth });
  t.ok(mux.upgraded);
  const code = await new Promise<number>((ok) => {
    mux.ws.on('close', (c) => ok(c));
    mux.ws.send(JSON.stringify({ type: 'subscribe', query: id, filter: 'x'.repeat(2000) }));
  });
  t.equal(code, 1009, 'a message over WS_MAX_MESSAGE_BYTES closes with 1009');
});

t.test('SSE needs the key too, and a bad Origin is refused', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url, ENV);
  const created = await app.inject({ method: 'POST', url: '/v1/queries', headers: { authorization: `Bearer ${READER}` }, payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k' } });
  const id = created.json<{ id: string }>().id;
  t.equal((await fetch(`${url}/v1/queries/${id}/events`)).status, 401);
  t.equal((await fetch(`${url}/v1/queries/${id}/events`, { headers: { authorization: `Bearer ${READER}`, origin: 'https://evil.example.com' } })).status, 403);
});

t.test('an access_token key is taken out of the URL before anything logs it', async (t) => {
  const r = await startRedis(t);
  let logged = '';
  const log = pino({ level: 'info' }, { write: (line: string) => void (logged += line) });
  const config = loadConfig({ REDIS_URL: r.url, ...ENV });
  const app = await buildApp({ config, redis: await connectRedis({ url: r.url, log }), ownsRedis: true, logger: log });
  t.teardown(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const created = await app.inject({ method: 'POST', url: '/v1/queries', headers: { authorization: `Bearer ${READER}` }, payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k' } });
  const id = created.json<{ id: string }>().id;
  const ok = await attempt(`ws://127.0.0.1:${port}/v1/queries/${id}/subscribe?batch=true&access_token=${READER}`);
  t.ok(ok.upgraded, 'the key in access_token is accepted');
  ok.ws.close();
  const sse = await fetch(`http://127.0.0.1:${port}/v1/queries/${id}/events?access_token=${READER}`);
  t.equal(sse.status, 200, 'SSE with access_token');
  await sse.body?.cancel();
  // Every occurrence goes, not only the first (a second one reached the logs).
  const twice = await fetch(`http://127.0.0.1:${port}/v1/queries/${id}/events?access_token=${READER}&filter=k:a&access_token=${READER}`);
  t.equal(twice.status, 200, 'two access_token parameters');
  await twice.body?.cancel();
  t.match(logged, /incoming request/, 'requests were logged');
  t.notMatch(logged, READER, 'the key is in no log line');
});
