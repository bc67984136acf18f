// Failed authentication is limited per client address across processes: past AUTH_FAIL_MAX
// failures in the window, the address gets 429 with Retry-After on every process sharing the
// Redis, before any key it sends is looked at (a correct key included), and it clears when the
// window ends. Other addresses are not affected.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';

const GOOD = 'k'.repeat(40);
const ENV = { API_KEYS: `${GOOD}:admin`, AUTH_FAIL_MAX: '5', AUTH_FAIL_WINDOW: '2s' };

t.test('failures past the limit block the address on every process until the window ends', async (t) => {
  const r = await startRedis(t);
  const a = await startApp(t, r.url, ENV);
  const b = await startApp(t, r.url, ENV);
  const get = (app: typeof a, key: string, ip = '10.0.0.7') => app.inject({ method: 'GET', url: '/v1/streams', headers: { authorization: `Bearer ${key}` }, remoteAddress: ip });
  for (let i = 0; i < 3; i++) t.equal((await get(a, `wrong-key-${i}-${'x'.repeat(30)}`)).statusCode, 401, `failure ${i + 1} on process a`);
  for (let i = 3; i < 5; i++) t.equal((await get(b, `wrong-key-${i}-${'x'.repeat(30)}`)).statusCode, 401, `failure ${i + 1} on process b (the count is shared)`);
  const sixth = await get(b, `wrong-key-6-${'x'.repeat(30)}`);
  t.equal(sixth.statusCode, 429, 'the sixth failure is refused');
  t.ok(Number(sixth.headers['retry-after']) >= 1, `with Retry-After ${String(sixth.headers['retry-after'])}`);
  t.equal((await get(b, GOOD)).statusCode, 429, 'then even a correct key from that address waits');
  t.equal((await get(a, 'still-wrong-' + 'x'.repeat(30))).statusCode, 429, 'process a learns it from the shared count at its next failure');
  t.equal((await get(a, GOOD, '10.0.0.8')).statusCode, 200, 'another address is not affected');
  await new Promise((ok) => setTimeout(ok, 2_300));
  t.equal((await get(a, GOOD)).statusCode, 200, 'after the window the address is served again');
  t.equal((await get(b, GOOD)).statusCode, 200, 'on every process');
});

t.test('/metrics needs the metrics scope when auth is on', async (t) => {
  const r = await startRedis(t);
  const SCRAPER = 's'.repeat(40);
  const READER = 'r'.repeat(40);
  const app = await startApp(t, r.url, { API_KEYS: `${SCRAPER}:metrics;${READER}:query` });
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401, 'no key: 401');
  t.equal((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${READER}` } })).statusCode, 403, 'a query key: 403');
  const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${SCRAPER}` } });
  t.equal(ok.statusCode, 200, 'a metrics key scrapes');
  t.match(ok.body, /streamgate_/);
});
