// API keys with scopes: 401 without or with a wrong key, 403 with the wrong scope.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';

const INGEST = 'ingest-key-0123456789abcdef';
const READER = 'reader-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdefgh';

t.test('auth on: keys and scopes are enforced before the body is read', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { API_KEYS: `${INGEST}:ingest;${READER}:query,subscribe;${ADMIN}:admin` });
  const post = (auth?: string) =>
    app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { a: 1 }, headers: auth ? { authorization: auth } : {} });

  const missing = await post();
  assertProblem(t, missing, 401, 'SG_ERR_UNAUTHORIZED');
  t.equal(missing.headers['www-authenticate'], 'Bearer');
  assertProblem(t, await post('Bearer not-a-real-key-at-all-xxxx'), 401, 'SG_ERR_UNAUTHORIZED');
  assertProblem(t, await post(`Basic ${INGEST}`), 401, 'SG_ERR_UNAUTHORIZED');
  assertProblem(t, await post(`Bearer ${READER}`), 403, 'SG_ERR_FORBIDDEN');
  t.equal((await post(`Bearer ${INGEST}`)).statusCode, 201);
  t.equal((await post(`Bearer ${ADMIN}`)).statusCode, 201, 'admin implies every scope');

  const list = (auth: string) => app.inject({ method: 'GET', url: '/v1/streams', headers: { authorization: auth } });
  assertProblem(t, await list(`Bearer ${INGEST}`), 403, 'SG_ERR_FORBIDDEN');
  t.equal((await list(`Bearer ${READER}`)).statusCode, 200);
  assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/s', payload: {}, headers: { authorization: `Bearer ${READER}` } }), 403, 'SG_ERR_FORBIDDEN');

  const unauthBadBody = await app.inject({ method: 'POST', url: '/v1/streams/s/events', headers: { 'content-type': 'application/json' }, payload: '{bad' });
  assertProblem(t, unauthBadBody, 401, 'SG_ERR_UNAUTHORIZED');

  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health needs no key');
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'readiness needs no key');
  t.equal((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode, 200, 'the API description needs no key');
});

t.test('a configured key never appears in answers', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { API_KEYS: `${INGEST}:ingest` });
  const res = await app.inject({ method: 'GET', url: '/v1/streams', headers: { authorization: `Bearer ${INGEST}` } });
  t.equal(res.statusCode, 403);
  t.notMatch(res.body, INGEST);
});

t.test('auth off: no keys configured lets every request through', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  t.equal((await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { a: 1 } })).statusCode, 201);
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/s', payload: {} })).statusCode, 200);
});
