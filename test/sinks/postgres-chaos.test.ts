// The PostgreSQL sink under SIGKILL: the gateway running the query and its sink is killed at
// random points while events flow and sink transactions are open (each waits before COMMIT). The
// table then equals DuckDB over every stored event: nothing lost, nothing applied twice.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { startLoad } from '../helpers/load.js';
import { makeEvent, COLUMNS } from '../helpers/exactness.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from '../helpers/oracle.js';
import { waitUntil } from '../helpers/wait.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';
import { PG_URL, testSchema } from '../helpers/postgres.js';

const KILLS = 10;
// About 60 s on a busy 2-core machine; CI is a loaded one.
t.setTimeout(300_000);

const QUERY = {
  sql: "SELECT region, COUNT(*) AS n, SUM(amount) AS total, window_start FROM s GROUP BY region, TUMBLE(ts, INTERVAL '1' SECOND)",
  oracle: "SELECT region, COUNT(*) AS n, SUM(amount) AS total, strftime(make_timestamp((ts // 1000) * 1000000), '%Y-%m-%dT%H:%M:%S.000Z') AS window_start FROM s GROUP BY region, ts // 1000",
};

t.test(`SIGKILL the gateway ${KILLS} times during sink writes: the PostgreSQL table equals DuckDB`, async (t) => {
  const r = await startRedis(t);
  const pg = await testSchema(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  await api.inject({ method: 'PUT', url: '/v1/streams/s', payload: { partitions: 2 } });
  const created = await api.inject({ method: 'POST', url: '/v1/queries', payload: { sql: QUERY.sql, start: 'earliest', lateness: '1h', sinks: [{ type: 'postgres', name: 'pg', url: PG_URL, table: `${pg.name}.by_second` }] } });
  t.equal(created.statusCode, 201, 'registered with a PostgreSQL sink');
  const id = created.json<{ id: string }>().id;
  const load = startLoad(async (events) => {
    const res = await api.inject({ method: 'POST', url: '/v1/streams/s/events', payload: events });
    return res.statusCode === 201 ? res.json<{ ids: string[] }>().ids : undefined;
  }, makeEvent, { posters: 2, batch: 10, pauseMs: 30 });
  const env = { REDIS_URL: r.url, ROLE: 'worker', LEASE_TTL: '1s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '37', SG_TEST_SINK_DELAY_MS: '40' };
  let gw: Gateway | undefined;
  t.teardown(() => gw?.kill());
  let wroteBeforeKill = 0;
  for (let i = 0; i < KILLS; i++) {
    const before = Number((await pg.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${pg.name}.streamgate_sink_offsets WHERE "offset" IS NOT NULL`).catch(() => ({ rows: [{ n: '0' }] }))).rows[0]!.n);
    gw = await startGateway(env);
    await new Promise((ok) => setTimeout(ok, 600 + Math.random() * 1000));
    await gw.kill('SIGKILL');
    if (before > 0 || i > 0) wroteBeforeKill++;
  }
  await load.stop();
  t.ok(wroteBeforeKill >= KILLS - 1, `the sink was writing across the kills (${wroteBeforeKill})`);
  gw = await startGateway({ ...env, SG_TEST_SINK_DELAY_MS: '0' });

  // Everything the streams hold, as DuckDB sees it.
  const stored: OracleEvent[] = [];
  for (let p = 0; p < 2; p++) for (const e of (await r.client.xRange(keys.events(part('s', p, 2)), '-', '+')) ?? []) stored.push(JSON.parse(e.message.e!) as OracleEvent);
  t.ok(stored.length >= load.acked.size, `the streams hold the acknowledged events (${stored.length} stored)`);
  const expected = await oracleRows(await oracle(stored, COLUMNS), QUERY.oracle);
  let diff: string[] = [];
  await waitUntil('the table equals DuckDB', async () => {
    const rows = (await pg.pool.query<Record<string, unknown>>(`SELECT region, n, total, window_start FROM ${pg.name}.by_second`)).rows.map((x) => ({
      region: x.region, n: Number(x.n), total: Number(x.total), window_start: (x.window_start as Date).toISOString(),
    }));
    diff = sameRows(rows, expected);
    return diff.length === 0;
  }, 90_000, 500).catch(() => undefined);
  t.same(diff, [], `the PostgreSQL table equals DuckDB over the ${stored.length} stored events (${expected.length} rows)`);
  const status = (await api.inject(`/v1/queries/${id}/sinks`)).json<{ sinks: { delivered: number; lastError: string | null }[] }>().sinks[0]!;
  t.ok(status.delivered > 0, `the sink delivered ${status.delivered} changes; last error seen: ${status.lastError ?? 'none'}`);
});
