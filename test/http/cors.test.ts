// CORS is opt-in (CORS_ORIGINS), and the API docs call whichever host served them.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';

const APP = 'https://app.example.com';

t.test('CORS_ORIGINS lets the listed origins call the API with a key; others and the default get no CORS headers', async (t) => {
  const r = await startRedis(t);
  const on = await startApp(t, r.url, { CORS_ORIGINS: APP, API_KEYS: 'k-0123456789abcdef:admin' });
  const preflight = await on.inject({ method: 'OPTIONS', url: '/v1/queries', headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
  t.equal(preflight.statusCode, 204, 'the preflight needs no key');
  t.equal(preflight.headers['access-control-allow-origin'], APP);
  t.match(String(preflight.headers['access-control-allow-headers']), /authorization/);
  const get = await on.inject({ method: 'GET', url: '/v1/queries', headers: { origin: APP, authorization: 'Bearer k-0123456789abcdef' } });
  t.equal(get.statusCode, 200);
  t.equal(get.headers['access-control-allow-origin'], APP);
  const noKey = await on.inject({ method: 'GET', url: '/v1/queries', headers: { origin: APP } });
  t.equal(noKey.statusCode, 401, 'CORS does not replace auth');
  const other = await on.inject({ method: 'GET', url: '/v1/queries', headers: { origin: 'https://evil.example', authorization: 'Bearer k-0123456789abcdef' } });
  t.notOk(other.headers['access-control-allow-origin'], 'an origin not listed gets no CORS header');

  const off = await startApp(t, r.url);
  const plain = await off.inject({ method: 'GET', url: '/v1/queries', headers: { origin: APP } });
  t.notOk(plain.headers['access-control-allow-origin'], 'off by default');
});

t.test('the OpenAPI servers list is relative, so Try-it-out works on any host and port', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const spec = (await app.inject('/docs/json')).json<{ servers: { url: string }[] }>();
  t.same(spec.servers.map((s) => s.url), ['/']);
});
