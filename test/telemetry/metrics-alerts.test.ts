// /metrics under load shows lag and latency moving; an alert fires and clears, and readiness flips with it.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';

const ENV = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', ALERT_INTERVAL: '100ms' };

/** The value of one Prometheus sample line (name with labels), or undefined. */
function sample(text: string, name: string, label: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && line.includes(label)) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

/** Pausing takes effect in every process within a poll interval: wait until no one owns the query. */
async function pause(app: FastifyInstance, id: string): Promise<void> {
  await app.inject({ method: 'POST', url: `/v1/queries/${id}/pause` });
  await waitUntil('the pause took effect', async () => (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ owners: string[] }>().owners.length === 0);
}

async function scrape(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  if (res.statusCode !== 200) throw new Error(res.body);
  return res.body;
}

t.test('/metrics under load: lag and end-to-end latency series move', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, ENV);
  const q = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM load GROUP BY k', start: 'earliest' } });
  const id = q.json<{ id: string }>().id;
  const label = `query="${id}"`;
  await pause(app, id);
  for (let i = 0; i < 20; i++) await app.inject({ method: 'POST', url: '/v1/streams/load/events', payload: Array.from({ length: 10 }, (_, j) => ({ k: j })) });
  const behind = await waitUntil('lag 200 on /metrics', async () => (sample(await scrape(app), 'streamgate_query_lag', label) === 200 ? true : undefined));
  t.ok(behind, 'the lag gauge shows the 200 waiting entries');
  const before = await scrape(app);
  t.equal(sample(before, 'streamgate_e2e_latency_ms_count', label), undefined, 'no latency recorded before processing');
  t.ok((sample(before, 'streamgate_events_ingested_total', 'stream="load"') ?? 0) >= 200, 'ingested counter');
  await app.inject({ method: 'POST', url: `/v1/queries/${id}/resume` });
  const after = await waitUntil('lag back to 0 and latency recorded', async () => {
    const text = await scrape(app);
    return sample(text, 'streamgate_query_lag', label) === 0 && (sample(text, 'streamgate_e2e_latency_ms_count', label) ?? 0) >= 200 ? text : undefined;
  });
  t.equal(sample(after, 'streamgate_events_processed_total', label), 200, 'processed counter');
  t.ok((sample(after, 'streamgate_commit_duration_ms_count', label) ?? 0) > 0, 'commit latency histogram');
  t.ok((sample(after, 'streamgate_batch_size_count', label) ?? 0) > 0, 'batch size histogram');
  t.match(after, /streamgate_lease_moves_total\{direction="acquired"/, 'lease moves');
  const bad = await app.inject({ method: 'POST', url: '/v1/streams/load/events', payload: [{ ts: 'never' }] });
  t.equal(bad.statusCode, 400);
  t.ok((sample(await scrape(app), 'streamgate_ingest_rejected_total', 'reason="SG_ERR_BAD_EVENTS"') ?? 0) >= 1, 'refusals by reason');
});

t.test('a lag alert fires and clears; readiness reports it but stays 200 (a query is not the process)', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ...ENV, ALERT_LAG_ENTRIES: '5' });
  const q = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k', start: 'earliest' } });
  const id = q.json<{ id: string }>().id;
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  await pause(app, id);
  await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: Array.from({ length: 10 }, (_, i) => ({ k: i })) });
  const alerts = await waitUntil('the lag alert', async () => {
    const list = (await app.inject({ method: 'GET', url: '/v1/alerts' })).json<{ alerts: { name: string; kind: string; value: number; threshold: number; since: string }[] }>().alerts;
    return list.length ? list : undefined;
  });
  t.match(alerts, [{ name: `lag:${id}`, kind: 'lag', value: 10, threshold: 5 }]);
  t.ok(alerts[0]!.since, 'since when');
  const degraded = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(degraded.statusCode, 200, 'still ready');
  t.match(degraded.json(), { status: 'degraded', checks: { redis: { ok: true } }, alerts: [/10 entries behind/] });
  t.match(await scrape(app), /streamgate_alerts_active\{[^}]*\} 1/);
  await app.inject({ method: 'POST', url: `/v1/queries/${id}/resume` });
  await waitUntil('the alert clears', async () => (await app.inject({ method: 'GET', url: '/v1/alerts' })).json<{ alerts: unknown[] }>().alerts.length === 0);
  t.match((await app.inject({ method: 'GET', url: '/readyz' })).json(), { status: 'ready' }, 'no alert left');
});
