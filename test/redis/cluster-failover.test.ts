// A primary failover under load, on 3 primaries + 3 replicas: the primary serving partition 0 is
// SIGKILLed while events flow and three queries run; its replica takes over, and the old primary
// comes back as the new one's replica. With
// REDIS_WAIT_REPLICAS=1 nothing acknowledged is lost and the results equal DuckDB. Without it,
// Redis replicates asynchronously: the test reports what was lost (the figures go in the README).
import t from 'tap';
import { startCluster } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { retryingPoster, startLoad } from '../helpers/load.js';
import { compareExact, makeEvent, register } from '../helpers/exactness.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

// About 20 s per case on a quiet machine.
t.setTimeout(300_000);

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

for (const waitReplicas of [1, 0]) {
  t.test(`SIGKILL of a primary under load, REDIS_WAIT_REPLICAS=${waitReplicas}`, async (t) => {
    const r = await startCluster(t, { replicas: 1, nodeTimeoutMs: 1_000 });
    const api = await startApp(t, r.url, { REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '17', REDIS_WAIT_REPLICAS: String(waitReplicas) });
    t.equal((await api.inject({ method: 'PUT', url: '/v1/streams/s', payload: { partitions: 2 } })).statusCode, 200);
    const ids = await register(api);
    const statuses = new Map<number, number>();
    const load = startLoad(retryingPoster(api, '/v1/streams/s/events', statuses), makeEvent, { posters: 3, batch: 8, pauseMs: 5 });
    await sleep(1_500);

    const slot = await r.cluster.slotOf(keys.events(part('s', 0, 2)));
    const victim = await r.cluster.primaryOf(slot);
    const killedAt = Date.now();
    await r.cluster.kill(victim);
    const promoted = await (async () => {
      for (;;) {
        const owner = await r.cluster.primaryOf(slot).catch(() => victim);
        if (owner !== victim) return owner;
        await sleep(50);
      }
    })();
    const failoverMs = Date.now() - killedAt;
    t.not(promoted, victim, `the replica (node ${promoted}) took over slot ${slot} after ${failoverMs} ms`);
    // The old primary comes back as the new primary's replica: WAIT can be satisfied again.
    await r.cluster.restart(victim);
    await r.cluster.waitHealthy();
    const before = statuses.get(201) ?? 0;
    await sleep(2_000);
    await load.stop();
    t.ok((statuses.get(201) ?? 0) > before, 'ingest flows again after the failover');
    t.notOk([...statuses.keys()].some((s) => s >= 500 && s !== 503), `no 5xx but 503 (answers: ${JSON.stringify(Object.fromEntries(statuses))})`);

    const report = await compareExact(api, r.client, ids, load.acked, undefined, { partitions: 2 });
    const wrong = report.differences.filter((d) => d.length > 0).length;
    t.comment(`REDIS_WAIT_REPLICAS=${waitReplicas}: failover ${failoverMs} ms; answers ${JSON.stringify(Object.fromEntries(statuses))}; acknowledged ${load.acked.size}, lost ${report.lost.length}; queries differing from DuckDB over the stored events: ${wrong} of ${ids.length}`);
    if (waitReplicas > 0) {
      t.same(report.lost, [], `every one of ${load.acked.size} acknowledged events survived the failover`);
      report.differences.forEach((d, i) => t.same(d, [], `query ${i + 1} equals DuckDB over the ${report.stored} stored events`));
    } else {
      // Asynchronous replication promises nothing here; what matters is that the figures are
      // measured, and that every event the new primary holds is accounted for exactly once or lost.
      t.ok(report.lost.length <= load.acked.size, `without WAIT: ${report.lost.length} of ${load.acked.size} acknowledged events lost`);
    }
  });
}
