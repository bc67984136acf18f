// ROLE means what it says: a worker serves only health and metrics (it processes queries); an api
// process serves the API and runs no task.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';

t.test('ROLE=worker answers only /healthz, /readyz and /metrics', async (t) => {
  const r = await startRedis(t);
  const worker = await startApp(t, r.url, { ROLE: 'worker' });
  for (const url of ['/healthz', '/readyz', '/metrics']) t.equal((await worker.inject({ method: 'GET', url })).statusCode, 200, `${url} is served`);
  const post = await worker.inject({ method: 'POST', url: '/v1/streams/s/events', payload: [{ a: 1 }] });
  t.equal(post.statusCode, 404, 'POST events is not served by a worker');
  t.match(post.json(), { code: 'SG_ERR_NOT_FOUND', detail: /ROLE=worker/ });
  t.equal(await r.client.exists('sg:{s#0}:events'), 0, 'nothing written');
  t.equal((await worker.inject({ method: 'GET', url: '/v1/queries' })).statusCode, 404, 'the query API is not served either');
});

t.test('ROLE=api serves the API and runs no task', async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const q = await api.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k', start: 'earliest' } });
  t.equal(q.statusCode, 201, q.body);
  t.equal((await api.inject({ method: 'POST', url: '/v1/streams/s/events', payload: [{ k: 'a' }, { k: 'b' }] })).statusCode, 201);
  await new Promise((ok) => setTimeout(ok, 1_000));
  const status = (await api.inject({ method: 'GET', url: `/v1/queries/${q.json<{ id: string }>().id}` })).json<{ processed: number; lag: number }>();
  t.equal(status.processed, 0, 'no task ran in the api process');
  t.equal(status.lag, 2, 'the events wait for a worker');
});
