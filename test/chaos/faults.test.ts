// Failover between two gateways, fencing of a paused owner, and a Redis crash during processing.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { startLoad } from '../helpers/load.js';
import { checkExact, makeEvent, register } from '../helpers/exactness.js';
import { waitUntil } from '../helpers/wait.js';
import type { FastifyInstance } from 'fastify';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

// About 70 s with 3 test files at a time on a quiet machine; several gateway restarts.
t.setTimeout(300_000);

const WORKER = { ROLE: 'worker', LEASE_TTL: '1s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '50' };

async function owners(api: FastifyInstance, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) {
    const q = (await api.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ partitionStatus: { owner: string | null }[] }>();
    out.push(...q.partitionStatus.map((p) => p.owner ?? ''));
  }
  return out;
}

const pidOf = (owner: string) => Number(owner.split('-').at(-2));

function poster(api: FastifyInstance) {
  return async (events: unknown[]) => {
    const res = await api.inject({ method: 'POST', url: '/v1/streams/s/events', payload: events });
    return res.statusCode === 201 ? res.json<{ ids: string[] }>().ids : undefined;
  };
}

t.test('failover: SIGKILL one of two gateways; the other takes its tasks within lease + 2 s; exact', async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const ids = await register(api);
  const a = await startGateway({ REDIS_URL: r.url, ...WORKER });
  const b = await startGateway({ REDIS_URL: r.url, ...WORKER });
  t.teardown(async () => { await a.kill(); await b.kill(); });
  const load = startLoad(poster(api), makeEvent, { posters: 2, batch: 5, pauseMs: 30 });
  // Three tasks over two processes: both must get a share.
  const shared = await waitUntil('tasks shared by both gateways', async () => {
    const o = await owners(api, ids);
    const pids = new Set(o.map(pidOf));
    return o.every(Boolean) && pids.size === 2 ? o : undefined;
  });
  t.ok(shared, 'both gateways own tasks');
  const victim = pidOf(shared[0]!) === a.child.pid ? a : b;
  const survivor = victim === a ? b : a;
  await new Promise((ok) => setTimeout(ok, 500));
  const killedAt = Date.now();
  await victim.kill('SIGKILL');
  await waitUntil('survivor owns every task', async () => (await owners(api, ids)).every((o) => pidOf(o) === survivor.child.pid), 10_000, 50);
  const tookMs = Date.now() - killedAt;
  t.ok(tookMs <= 1_000 + 2_000, `took over in ${tookMs} ms (lease 1 s + 2 s allowed)`);
  await new Promise((ok) => setTimeout(ok, 500));
  await load.stop();
  await checkExact(t, api, r.client, ids, load.acked);
});

t.test('fencing: a SIGSTOPped owner loses its lease; after SIGCONT its commit is refused and writes nothing', async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const [id] = await register(api);
  // Each commit waits 1.5 s first, so the owner is stopped between reading a batch and committing it.
  const env = { REDIS_URL: r.url, ...WORKER, SG_TEST_COMMIT_DELAY_MS: '0' };
  const a = await startGateway({ ...env, SG_TEST_COMMIT_DELAY_MS: '1500' });
  t.teardown(async () => { await a.kill(); });
  const post = poster(api);
  const acked = new Map<string, ReturnType<typeof makeEvent>>();
  const send = async (from: number, n: number) => {
    const events = Array.from({ length: n }, (_, i) => makeEvent(from + i));
    const got = await post(events);
    got!.forEach((eid, i) => acked.set(eid, events[i]!));
  };
  await waitUntil('owner A holds the task', async () => (await owners(api, [id!]))[0] !== '');
  await send(0, 20);
  await new Promise((ok) => setTimeout(ok, 300)); // A has read the batch and waits to commit it
  process.kill(a.child.pid!, 'SIGSTOP');
  let b: Gateway | undefined;
  t.teardown(async () => { await b?.kill(); });
  try {
    b = await startGateway(env);
    await waitUntil('B took the task over', async () => pidOf((await owners(api, [id!]))[0]!) === b!.child.pid, 10_000);
    await send(20, 20);
    await waitUntil('B committed both batches', async () => (await api.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ processed: number }>().processed === 40, 10_000);
  } finally {
    process.kill(a.child.pid!, 'SIGCONT');
  }
  await waitUntil('A reports its commit refused', async () => /FENCED/.test(a.output()), 10_000);
  t.match(a.output(), /commit refused/, 'the resumed owner logs the refused commit');
  await new Promise((ok) => setTimeout(ok, 500));
  const q = (await api.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ processed: number }>();
  t.equal(q.processed, 40, 'nothing processed twice');
  await checkExact(t, api, r.client, [id!], acked, [0]);
});

t.test('Redis crash: redis-server (appendfsync always) SIGKILLed during processing and restarted; exact', async (t) => {
  const r = await startRedis(t, { persistence: true, appendfsync: 'always' });
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const ids = await register(api);
  const gw = await startGateway({ REDIS_URL: r.url, ...WORKER });
  t.teardown(() => gw.kill());
  const load = startLoad(poster(api), makeEvent, { posters: 2, batch: 5, pauseMs: 20 });
  await new Promise((ok) => setTimeout(ok, 1500));
  await r.server.kill();
  await new Promise((ok) => setTimeout(ok, 300));
  await r.server.start();
  await new Promise((ok) => setTimeout(ok, 1500));
  await load.stop();
  t.ok(/redis connection error|reconnected/.test(gw.output()), 'the gateway saw the outage');
  await checkExact(t, api, r.client, ids, load.acked);
});

t.test("DELETE of a query whose owner was SIGKILLed answers at once; a worker reclaims its keys when the dead owner's lease expires", async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const [id] = await register(api);
  const env = { REDIS_URL: r.url, ...WORKER, LEASE_TTL: '4s' };
  const a = await startGateway(env);
  t.teardown(() => a.kill());
  await waitUntil('A owns the task', async () => (await owners(api, [id!]))[0] !== '');
  await poster(api)([makeEvent(0), makeEvent(1)]);
  await waitUntil('A committed', async () => (await api.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ processed: number }>().processed === 2);
  await a.kill('SIGKILL');
  const leaseMs = await r.client.pTTL(keys.task(part('s', 0), id!).lease);
  t.ok(leaseMs > 1_000, `the dead owner's lease still has ${leaseMs} ms`);

  const started = Date.now();
  const del = await api.inject({ method: 'DELETE', url: `/v1/queries/${id}` });
  const tookMs = Date.now() - started;
  t.equal(del.statusCode, 204, del.body);
  t.ok(tookMs < leaseMs, `DELETE answered in ${tookMs} ms, without waiting for the ${leaseMs} ms lease`);
  t.equal((await api.inject({ method: 'GET', url: `/v1/queries/${id}` })).statusCode, 404, 'gone from the API at once');
  t.ok((await r.client.keys(`*${id}*`)).length > 0, 'its keys wait for the lease');

  // A worker reclaims it; it never runs the deleted query's task.
  const b = await startGateway(env);
  t.teardown(() => b.kill());
  await waitUntil('keys reclaimed', async () => (await r.client.keys(`*${id}*`)).length === 0 && (await r.client.hExists(keys.queryRegistry(), id!)) === 0, 15_000);
  t.ok(Date.now() - started >= leaseMs - 200, 'not before the lease expired');
  // The log line is written after the keys go, and reaches us through a pipe: wait for it.
  await waitUntil('the reclaim logged', async () => /deleted query reclaimed/.test(b.output()), 10_000).catch(() => undefined);
  t.match(b.output(), /deleted query reclaimed/, 'the worker logs the reclaim');
  t.notMatch(b.output(), new RegExp(`"task":"${id}/0"[^}]*"task acquired"`), 'and never ran it');
  const groups = (await r.client.xInfoGroups(keys.events(part('s', 0)))) as unknown as { name: string }[];
  t.notOk(groups.some((g) => String(g.name) === id), 'its consumer group is gone');
});
