// Any process serves any query: a subscriber on an api-only process gets the changes a worker process commits.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, converged, client } from '../helpers/push.js';

t.test('a subscriber on a process that does not own the query receives the same changes', async (t) => {
  const r = await startRedis(t);
  const worker = await startGateway({ REDIS_URL: r.url, ROLE: 'worker', LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', LOG_LEVEL: 'warn' });
  t.teardown(() => worker.kill('SIGTERM'));
  const { app, url } = await listening(t, r.url, { ROLE: 'api' });
  t.equal(app.sg.coordinator, undefined, 'this process runs no tasks');
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY k');
  const owner = await waitUntil('the worker owns the task', async () => {
    const q = (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ partitionStatus: { owner: string | null }[] }>();
    return q.partitionStatus[0]?.owner ?? undefined;
  });
  t.ok(owner, `owned by ${owner}`);
  const changes: string[] = [];
  const c = client(t, { url, query: id, onChange: (m) => changes.push(m.offset) });
  await waitUntil('snapshot', async () => c.offset !== undefined);
  for (let round = 0; round < 5; round++) {
    await post(app, 's', Array.from({ length: 20 }, (_, i) => ({ k: i % 7, amount: round + i })));
    await waitUntil('caught up', async () => (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ lag: number }>().lag === 0);
    const rows = await converged(app, id, c, `round ${round}: rows pushed by the api process equal the pull results`);
    t.pass(`round ${round}: ${rows.length} rows pushed by the api process equal the pull results`);
  }
  t.ok(changes.length >= 5, `${changes.length} changes arrived`);
  t.equal(app.push.hub.stats().tailers, 1, 'one tailer for the query in this process');
});
