// Secure defaults with auth off: only loopback Host names (or ALLOWED_HOSTS) reach the API, so a
// DNS-rebound page cannot read it; live results only to the gateway's own origin (or
// WS_ALLOWED_ORIGINS); REQUIRE_API_KEYS (set in the Docker image) refuses to start without keys.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { loadConfig } from '../../src/config.js';

t.test('auth off: loopback and ALLOWED_HOSTS only; health stays open; auth on: no Host rule', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ALLOWED_HOSTS: 'api.internal' });
  const get = (host: string, url = '/v1/streams') => app.inject({ method: 'GET', url, headers: { host } });
  for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'api.internal:8080', 'API.INTERNAL']) t.equal((await get(host)).statusCode, 200, `Host ${host}`);
  for (const host of ['evil.example:8080', 'evil.example', '10.1.2.3:8080']) {
    const res = await get(host);
    t.equal(res.statusCode, 403, `Host ${host} is refused`);
    t.equal(res.json<{ code: string }>().code, 'SG_ERR_HOST_FORBIDDEN');
  }
  t.equal((await get('evil.example', '/healthz')).statusCode, 200, 'health needs no Host rule');
  const keyed = await startApp(t, r.url, { API_KEYS: `${'k'.repeat(40)}:admin` });
  const res = await keyed.inject({ method: 'GET', url: '/v1/streams', headers: { host: 'api.example.com', authorization: `Bearer ${'k'.repeat(40)}` } });
  t.equal(res.statusCode, 200, 'with keys, any Host');
});

t.test('live results only to the gateway\'s own origin unless WS_ALLOWED_ORIGINS says otherwise', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const q = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT COUNT(*) AS n FROM s' } });
  const id = q.json<{ id: string }>().id;
  const sse = async (origin: string | undefined) => {
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/v1/queries/${id}/events`, { headers: origin ? { origin } : {}, signal: ac.signal });
    ac.abort();
    return res.status;
  };
  t.equal(await sse(`http://127.0.0.1:${port}`), 200, 'its own origin');
  t.equal(await sse(undefined), 200, 'no Origin (not a browser)');
  t.equal(await sse('http://evil.example'), 403, 'a page elsewhere cannot read results cross-site');
  const open = await startApp(t, r.url, { WS_ALLOWED_ORIGINS: 'https://console.example' });
  const res = await open.inject({ method: 'GET', url: `/v1/queries/${id}/events`, headers: { origin: 'https://other.example' } });
  t.equal(res.statusCode, 403, 'a configured list is the whole list');
});

t.test('REQUIRE_API_KEYS refuses to start without keys', (t) => {
  t.throws(() => loadConfig({ REQUIRE_API_KEYS: 'true' }), /REQUIRE_API_KEYS is true: set API_KEYS/);
  t.ok(loadConfig({ REQUIRE_API_KEYS: 'true', API_KEYS: `${'k'.repeat(40)}:admin` }).apiKeys.length === 1);
  t.ok(loadConfig({ REQUIRE_API_KEYS: 'false' }), 'an explicit opt-out');
  t.end();
});

t.test('a socket sending more than WS_MAX_MESSAGES_PER_SECOND messages is closed with 1008', async (t) => {
  const r = await startRedis(t);
  const { listening } = await import('../helpers/push.js');
  const { default: WebSocket } = await import('ws');
  const { url } = await listening(t, r.url, { WS_MAX_MESSAGES_PER_SECOND: '10' });
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`);
  t.teardown(() => ws.terminate());
  await new Promise((ok, fail) => { ws.once('open', ok); ws.once('error', fail); });
  const closed = new Promise<number>((ok) => ws.once('close', (code: number) => ok(code)));
  const errors: string[] = [];
  ws.on('message', (d: Buffer) => errors.push(d.toString()));
  for (let i = 0; i < 30; i++) ws.send(JSON.stringify({ type: 'unsubscribe', query: 'q_0123456789abcdef' }));
  t.equal(await closed, 1008, 'closed with 1008');
  t.ok(errors.some((m) => /WS_MAX_MESSAGES_PER_SECOND/.test(m)), 'after an error message naming the limit');
});
