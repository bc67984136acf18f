// Overload answers: 429 with Retry-After, 503 with Retry-After, and 408 for a slow client.
import t from 'tap';
import { connect } from 'node:net';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

t.test('over the rate limit: 429 with Retry-After, per API key', async (t) => {
  const r = await startRedis(t);
  const a = 'key-aaaaaaaaaaaaaaaaaaaa';
  const b = 'key-bbbbbbbbbbbbbbbbbbbb';
  const app = await startApp(t, r.url, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1m', API_KEYS: `${a}:ingest;${b}:ingest` });
  const post = (key: string) => app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { x: 1 }, headers: { authorization: `Bearer ${key}` } });
  for (let i = 0; i < 3; i++) t.equal((await post(a)).statusCode, 201);
  const limited = await post(a);
  assertProblem(t, limited, 429, 'SG_ERR_RATE_LIMITED');
  t.ok(Number(limited.headers['retry-after']) >= 1, 'Retry-After set');
  t.equal((await post(b)).statusCode, 201, 'another key has its own budget');
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health is not limited');
  t.equal(await r.client.xLen(keys.events(part('s', 0))), 4);
});

t.test('a stream over its backlog limit: 503 with Retry-After, nothing written', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { STREAM_MAX_BACKLOG: '5' });
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i } })).statusCode, 201);
  const res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i: 5 } });
  assertProblem(t, res, 503, 'SG_ERR_OVERLOADED');
  t.ok(res.headers['retry-after']);
  t.equal(await r.client.xLen(keys.events(part('s', 0))), 5);
});

t.test('Redis over the memory threshold: 503 with Retry-After', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { REDIS_MAX_MEMORY_BYTES: '1024' });
  // The guard polls INFO memory; give it its first reading.
  await new Promise((ok) => setTimeout(ok, 300));
  const res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i: 1 } });
  assertProblem(t, res, 503, 'SG_ERR_OVERLOADED');
  t.ok(res.headers['retry-after']);
});

t.test('Redis unreachable: 503 with Retry-After, readiness fails, then recovers', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  t.equal((await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i: 1 } })).statusCode, 201);
  await r.server.kill();
  const down = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i: 2 } });
  assertProblem(t, down, 503, 'SG_ERR_REDIS_UNAVAILABLE');
  t.ok(down.headers['retry-after']);
  const notReady = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(notReady.statusCode, 503);
  t.equal(notReady.json<{ checks: { redis: { ok: boolean } } }>().checks.redis.ok, false);
  await r.server.start();
  let res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i: 3 } });
  for (let i = 0; i < 50 && res.statusCode !== 201; i++) {
    await new Promise((ok) => setTimeout(ok, 100));
    res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i: 3 } });
  }
  t.equal(res.statusCode, 201, 'writes resume after Redis returns (functions reloaded)');
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
});

t.test('a client that sends its request too slowly gets 408 problem+json', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { REQUEST_TIMEOUT: '1s' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const answer = await new Promise<string>((ok, fail) => {
    const sock = connect(port, '127.0.0.1', () => {
      sock.write('POST /v1/streams/s/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
    });
    let data = '';
    sock.on('data', (d) => (data += d.toString()));
    sock.on('close', () => ok(data));
    sock.on('error', fail);
    setTimeout(() => { sock.destroy(); ok(data); }, 8_000).unref();
  });
  t.match(answer, /^HTTP\/1\.1 408/);
  t.match(answer, /application\/problem\+json/);
  t.match(answer, /SG_ERR_REQUEST_TIMEOUT/);
  t.equal(await r.client.exists(keys.events(part('s', 0))), 0);
});

t.test('a stalled Redis (SIGSTOP) gets 503 after the call deadline, not a hung request', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  t.equal((await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i: 1 } })).statusCode, 201);
  process.kill(r.server.pid!, 'SIGSTOP');
  t.teardown(() => { process.kill(r.server.pid!, 'SIGCONT'); });
  const started = Date.now();
  const res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { i: 2 } });
  assertProblem(t, res, 503, 'SG_ERR_REDIS_UNAVAILABLE');
  t.ok(Date.now() - started < 7_000, 'answered within the deadline');
  process.kill(r.server.pid!, 'SIGCONT');
});
