// Resharding under load: while events flow into a 2-partition stream and three queries run, each
// partition's slot (its events, idempotency records and every task key) is moved to another
// primary key batch by key batch, and back. No request answers 500, and the results equal DuckDB.
import t from 'tap';
import { startCluster } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { retryingPoster, startLoad } from '../helpers/load.js';
import { checkExact, makeEvent, register } from '../helpers/exactness.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

// About 25 s on a quiet machine.
t.setTimeout(240_000);

t.test('moving busy partitions between primaries: exact, and never a 500', async (t) => {
  const r = await startCluster(t);
  const api = await startApp(t, r.url, { REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '17' });
  t.equal((await api.inject({ method: 'PUT', url: '/v1/streams/s', payload: { partitions: 2 } })).statusCode, 200);
  const ids = await register(api);
  const statuses = new Map<number, number>();
  const load = startLoad(retryingPoster(api, '/v1/streams/s/events', statuses), makeEvent, { posters: 3, batch: 8, pauseMs: 10 });

  await new Promise((ok) => setTimeout(ok, 1_000));
  const moves: string[] = [];
  for (let round = 0; round < 2; round++) {
    for (let p = 0; p < 2; p++) {
      const slot = await r.cluster.slotOf(keys.events(part('s', p, 2)));
      const from = await r.cluster.primaryOf(slot);
      const to = (from + 1) % 3;
      const started = Date.now();
      let batches = 0;
      // Two keys per MIGRATE with a pause between: the slot is split between two nodes for a while.
      await r.cluster.migrateSlot(slot, to, { batch: 2, between: async () => {
        batches++;
        await new Promise((ok) => setTimeout(ok, 25));
      } });
      t.equal(await r.cluster.primaryOf(slot), to, `partition ${p} (slot ${slot}) moved from node ${from} to node ${to}`);
      moves.push(`p${p}: ${batches} batches in ${Date.now() - started} ms`);
      await new Promise((ok) => setTimeout(ok, 300));
    }
  }
  await new Promise((ok) => setTimeout(ok, 500));
  await load.stop();
  t.comment(`moves: ${moves.join('; ')}; answers: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.notOk([...statuses.keys()].some((s) => s >= 500 && s !== 503), `no 5xx but 503 (answers: ${JSON.stringify(Object.fromEntries(statuses))})`);
  t.ok((statuses.get(201) ?? 0) > 50, 'events kept flowing through the moves');
  await checkExact(t, api, r.client, ids, load.acked, undefined, { partitions: 2 });
});
