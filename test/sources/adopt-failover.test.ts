// A query over an adopted stream survives SIGKILL of the gateway processing it: another gateway
// takes the task over, replays what was pending in the query's group on the foreign key, and the
// results count every entry the producer XADDed exactly once.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

// Two gateway starts through tsx on a loaded machine.
t.setTimeout(120_000);

const KEY = 'legacy:payments';
// Slow commits, so the kill lands between reading a batch and committing it.
const WORKER = { ROLE: 'worker', LEASE_TTL: '1s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '20', SG_TEST_COMMIT_DELAY_MS: '150' };

t.test('SIGKILL of the owner mid-stream: the next owner continues exactly once', async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const put = await api.inject({ method: 'PUT', url: '/v1/streams/payments', payload: { schema: { type: 'object', properties: { v: { type: 'integer' } } }, source: { key: KEY } } });
  t.equal(put.statusCode, 200, put.body);
  const created = await api.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n, SUM(v) AS total FROM payments GROUP BY k', start: 'earliest' } });
  t.equal(created.statusCode, 201, created.body);
  const id = created.json<{ id: string }>().id;

  const expected = new Map<string, { n: number; total: number }>();
  let written = 0;
  let producing = true;
  // The other application's producer: plain XADDs, unaware of the gateway.
  const producer = (async () => {
    while (producing) {
      for (let j = 0; j < 10; j++) {
        const k = `k${written % 5}`;
        const v = (written * 37) % 101;
        await r.client.xAdd(KEY, '*', { k, v: String(v) });
        const e = expected.get(k) ?? { n: 0, total: 0 };
        expected.set(k, { n: e.n + 1, total: e.total + v });
        written++;
      }
      await new Promise((ok) => setTimeout(ok, 15));
    }
  })();

  const gateways: Gateway[] = [];
  t.teardown(async () => {
    producing = false;
    await producer;
    for (const g of gateways) await g.kill();
  });
  const a = await startGateway({ REDIS_URL: r.url, ...WORKER });
  gateways.push(a);
  const progress = async () => (await api.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ processed: number; lag: number; deadLettered: number; partitionStatus: { owner: string | null; pending: number }[] }>();
  await waitUntil('the first owner is committing', async () => (await progress()).processed >= 100, 30_000);
  await waitUntil('a batch is read but not committed', async () => ((await progress()).partitionStatus[0]!.pending > 0 ? true : undefined), 10_000, 5);
  await a.kill('SIGKILL');
  const b = await startGateway({ REDIS_URL: r.url, ...WORKER, SG_TEST_COMMIT_DELAY_MS: '0' });
  gateways.push(b);
  await new Promise((ok) => setTimeout(ok, 1_000));
  producing = false;
  await producer;

  const q = await waitUntil('the new owner caught up', async () => {
    const s = await progress();
    return s.lag === 0 && s.processed === written ? s : undefined;
  }, 60_000);
  t.match(q.partitionStatus[0]!.owner, `-${b.child.pid}-`, 'the second gateway owns the task');
  t.equal(q.processed, written, `every one of ${written} entries processed once`);
  t.equal(q.deadLettered, 0);
  const rows = (await api.inject({ method: 'GET', url: `/v1/queries/${id}/results` })).json<{ rows: { k: string; n: number; total: number }[] }>().rows;
  const actual = Object.fromEntries(rows.map((row) => [row.k, { n: row.n, total: row.total }]));
  t.same(actual, Object.fromEntries([...expected].sort()), 'counts and sums equal the producer\'s entries');
  t.equal(await r.client.xLen(KEY), written, 'the foreign key holds every entry, untrimmed');
});
