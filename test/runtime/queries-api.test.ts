// The queries API end to end in one process: register, process, status, results, pause, delete.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';
import { waitUntil } from '../helpers/wait.js';

const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '100ms' };

async function post(app: FastifyInstance, stream: string, events: unknown[]) {
  const res = await app.inject({ method: 'POST', url: `/v1/streams/${stream}/events`, payload: events });
  if (res.statusCode !== 201) throw new Error(res.body);
}

async function caughtUp(app: FastifyInstance, id: string) {
  return waitUntil(`query ${id} caught up`, async () => {
    const q = (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ lag: number; partitionStatus: { owner: string | null }[] }>();
    return q.lag === 0 && q.partitionStatus.every((p) => p.owner) ? q : undefined;
  });
}

t.test('register a query, process events, read results, pause, resume and delete', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  await post(app, 'orders', [{ region: 'eu', amount: 5 }]);
  const created = await app.inject({
    method: 'POST',
    url: '/v1/queries',
    payload: { sql: 'SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY region', start: 'earliest', name: 'by-region' },
  });
  t.equal(created.statusCode, 201, created.body);
  const q = created.json<{ id: string; columns: { name: string }[]; explain: string; status: string }>();
  t.same(q.columns.map((c) => c.name), ['region', 'n', 'total']);
  t.ok(q.explain.length > 0, 'explain text');
  t.equal(q.status, 'running');

  await post(app, 'orders', [{ region: 'eu', amount: 1 }, { region: 'us', amount: 2 }, { region: 'us', amount: 3.5 }, { amount: 7 }]);
  await caughtUp(app, q.id);
  const res = await app.inject({ method: 'GET', url: `/v1/queries/${q.id}/results` });
  t.same(res.json(), { rows: [{ region: 'eu', n: 2, total: 6 }, { region: 'us', n: 2, total: 5.5 }, { region: null, n: 1, total: 7 }] }, 'NULL is its own group');
  const filtered = await app.inject({ method: 'GET', url: `/v1/queries/${q.id}/results?where=region:us` });
  t.same(filtered.json(), { rows: [{ region: 'us', n: 2, total: 5.5 }] });
  const page = await app.inject({ method: 'GET', url: `/v1/queries/${q.id}/results?limit=2` });
  const next = page.json<{ next: string }>().next;
  t.ok(next, 'a cursor for the next page');
  const page2 = await app.inject({ method: 'GET', url: `/v1/queries/${q.id}/results?limit=2&cursor=${encodeURIComponent(next)}` });
  t.same(page2.json(), { rows: [{ region: null, n: 1, total: 7 }] });

  const status = (await app.inject({ method: 'GET', url: `/v1/queries/${q.id}` })).json<{ processed: number; lag: number; lastCheckpointAt: string }>();
  t.equal(status.processed, 5);
  t.equal(status.lag, 0);
  t.ok(status.lastCheckpointAt);
  t.equal((await app.inject({ method: 'GET', url: '/v1/queries' })).json<{ queries: unknown[] }>().queries.length, 1);

  const paused = await app.inject({ method: 'POST', url: `/v1/queries/${q.id}/pause` });
  t.equal(paused.json<{ status: string }>().status, 'paused');
  await waitUntil('lease released', async () => (await r.client.keys('*:lease')).length === 0);
  await post(app, 'orders', [{ region: 'eu', amount: 100 }]);
  await new Promise((ok) => setTimeout(ok, 400));
  t.equal((await app.inject({ method: 'GET', url: `/v1/queries/${q.id}` })).json<{ lag: number }>().lag, 1, 'paused: the event waits');
  await app.inject({ method: 'POST', url: `/v1/queries/${q.id}/resume` });
  await caughtUp(app, q.id);
  const after = await app.inject({ method: 'GET', url: `/v1/queries/${q.id}/results?where=region:eu` });
  t.same(after.json(), { rows: [{ region: 'eu', n: 3, total: 106 }] }, 'resumed from the checkpoint');

  assertProblem(t, await app.inject({ method: 'DELETE', url: '/v1/streams/orders' }), 409, 'SG_ERR_CONFLICT');
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/queries/${q.id}` })).statusCode, 204);
  assertProblem(t, await app.inject({ method: 'GET', url: `/v1/queries/${q.id}` }), 404, 'SG_ERR_QUERY_NOT_FOUND');
  await waitUntil('reclaimed in the background', async () => (await r.client.keys(`*${q.id}*`)).length === 0);
  t.equal(await r.client.hExists('sg:{meta}:queries', q.id), 0, 'the definition is gone once its keys are');
  const groups = await r.client.xInfoGroups('sg:{orders#0}:events');
  t.same(groups, [], 'the consumer group is gone');
  assertProblem(t, await app.inject({ method: 'GET', url: `/v1/queries/${q.id}` }), 404, 'SG_ERR_QUERY_NOT_FOUND');
  // Its results were read before (the definition is remembered for reads): still a 404 now.
  assertProblem(t, await app.inject({ method: 'GET', url: `/v1/queries/${q.id}/results?where=region:eu` }), 404, 'SG_ERR_QUERY_NOT_FOUND');
});

t.test('refused SQL names the construct and position; validate returns rows', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const bad = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT a FROM s JOIN t ON s.x = t.x GROUP BY a' } });
  const p = assertProblem(t, bad, 400, 'SG_ERR_SQL');
  t.match(p.errors?.[0], { field: '/sql', line: 1 });
  t.match(p.detail, /JOIN/i);
  const v = await app.inject({
    method: 'POST',
    url: '/v1/queries/validate',
    payload: { sql: 'SELECT k, COUNT(*) AS c FROM s GROUP BY k', events: [{ k: 'a' }, { k: 'a' }, { k: 'b' }] },
  });
  t.equal(v.statusCode, 200, v.body);
  t.same(v.json<{ rows: unknown[] }>().rows, [{ k: 'a', c: 2 }, { k: 'b', c: 1 }]);
  t.same(await r.client.keys('sg:{meta}:queries'), [], 'validate stores nothing');
});

t.test('a query started at an entry id reads from there and reports an exact lag', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ...FAST, ROLE: 'api' });
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { k: 'x', i } });
    ids.push(res.json<{ ids: string[] }>().ids[0]!);
  }
  const created = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n, MIN(i) AS first FROM s GROUP BY k', start: ids[9] } });
  t.equal(created.statusCode, 201, created.body);
  const id = created.json<{ id: string }>().id;
  const q = (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ lag: number }>();
  t.equal(q.lag, 20, 'the 20 entries after the start id are the lag (no worker in this process)');
  await startApp(t, r.url, { ...FAST, ROLE: 'worker' }); // processes the query; answers only health
  await caughtUp(app, id);
  const rows = (await app.inject({ method: 'GET', url: `/v1/queries/${id}/results` })).json<{ rows: unknown[] }>().rows;
  t.same(rows, [{ k: 'x', n: 20, first: 10 }], 'processing starts after the given entry');
});

t.test("a window over a column that is not the stream's time field is refused; validate reads the stream's time field", async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  await app.inject({ method: 'PUT', url: '/v1/streams/evs', payload: { timeField: 'created' } });
  const wrong = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: "SELECT COUNT(*) AS n FROM evs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)" } });
  const body = assertProblem(t, wrong, 400, 'SG_ERR_SQL');
  t.match(body.detail, /the window is over "ts", but stream "evs" takes event time from "created"/);
  t.match(body.errors?.[0], { code: 'SG_ERR_SQL_WINDOW', line: 1, column: 47 });
  const onDefault = await app.inject({ method: 'POST', url: '/v1/queries/validate', payload: { sql: "SELECT COUNT(*) AS n FROM fresh GROUP BY TUMBLE(created_at, INTERVAL '1' MINUTE)" } });
  t.equal(onDefault.statusCode, 400, "a stream not created yet has the default time field, ts");
  const ok = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: "SELECT COUNT(*) AS n FROM evs GROUP BY TUMBLE(created, INTERVAL '1' MINUTE)" } });
  t.equal(ok.statusCode, 201, 'the time field itself is accepted');
  const sample = await app.inject({
    method: 'POST', url: '/v1/queries/validate',
    payload: { sql: "SELECT COUNT(*) AS n, window_start FROM evs GROUP BY TUMBLE(created, INTERVAL '1' MINUTE)", events: [{ created: '2026-01-01T00:00:10Z' }, { created: '2026-01-01T00:01:10Z' }, { created: '2026-01-01T00:01:20Z' }] },
  });
  t.same(sample.json<{ rows: unknown[] }>().rows, [{ n: 1, window_start: '2026-01-01T00:00:00.000Z' }, { n: 2, window_start: '2026-01-01T00:01:00.000Z' }], 'windows from the stream time field');
  const bad = await app.inject({ method: 'POST', url: '/v1/queries/validate', payload: { sql: 'SELECT COUNT(*) AS n FROM evs', events: [{ created: '2026-01-01T00:00:10Z' }, { created: 'yesterday' }] } });
  const problem = assertProblem(t, bad, 400, 'SG_ERR_BAD_EVENTS');
  t.match(problem.errors?.[0], { index: 1, field: '/created' }, 'a time ingest would refuse is refused, naming the event and the field');
});
