// kill -9 chaos: the processing gateway is SIGKILLed at 20 random points (commits are slowed so
// some kills land inside the commit path) while events flow. Results equal DuckDB over every
// acknowledged event: nothing lost, nothing counted twice, nothing left pending.
import t from 'tap';
import { clusterMode, startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { startLoad } from '../helpers/load.js';
import { checkExact, makeEvent, register } from '../helpers/exactness.js';

// Fewer on the 3-primary cluster (test/cluster/), where each kill costs more (three Redis processes).
const KILLS = clusterMode ? 5 : 20;
// With 3 test files at a time this file took 193 s on a quiet machine; give it three times that.
// On a 3-primary cluster with 5 kills about 40 s on a quiet machine.
t.setTimeout(600_000);

t.test(`SIGKILL the processing gateway at ${KILLS} random points: results stay exact`, async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const ids = await register(api);
  const load = startLoad(async (events) => {
    const res = await api.inject({ method: 'POST', url: '/v1/streams/s/events', payload: events });
    return res.statusCode === 201 ? res.json<{ ids: string[] }>().ids : undefined;
  }, makeEvent, { posters: 3, batch: 5, pauseMs: 40 });
  const env = { REDIS_URL: r.url, ROLE: 'worker', LEASE_TTL: '1s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '37', SG_TEST_COMMIT_DELAY_MS: '30' };
  let gw: Gateway | undefined;
  t.teardown(() => gw?.kill());
  let fencedOrRecovered = 0;
  for (let i = 0; i < KILLS; i++) {
    gw = await startGateway(env);
    await new Promise((ok) => setTimeout(ok, 400 + Math.random() * 1200));
    if (/task acquired/.test(gw.output())) fencedOrRecovered++;
    await gw.kill('SIGKILL');
  }
  await load.stop();
  t.ok(fencedOrRecovered >= KILLS / 2, `the killed gateway had taken tasks in ${fencedOrRecovered} of ${KILLS} runs`);
  gw = await startGateway(env);
  await checkExact(t, api, r.client, ids, load.acked);
  t.ok(load.acked.size > 1000, `${load.acked.size} events acknowledged during the chaos`);
});
