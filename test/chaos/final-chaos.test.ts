// kill -9 chaos on the merging partition: a 3-partition stream served by two worker gateways; the
// process that owns partition 0 (which emits every window's final row) is SIGKILLed at random
// points while events flow. Every window's final row appears exactly once, and rows equal DuckDB.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { startLoad } from '../helpers/load.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from '../helpers/oracle.js';
import { waitUntil } from '../helpers/wait.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

// Measured at about 60 s on a quiet machine; twice that and more under CI load.
t.setTimeout(300_000);

const KILLS = 8;
const BASE = Date.UTC(2026, 0, 1);
const QUERIES = [
  { emit: 'changes', sql: "SELECT region, COUNT(*) AS n, SUM(amount) AS total, window_start, window_end FROM c GROUP BY region, TUMBLE(ts, INTERVAL '1' SECOND)" },
  { emit: 'final', sql: "SELECT COUNT(*) AS n, MAX(amount) AS mx, window_start, window_end FROM c GROUP BY HOP(ts, INTERVAL '1' SECOND, INTERVAL '2' SECOND)" },
];
const ORACLE = [
  "SELECT region, COUNT(*) AS n, SUM(amount) AS total, (ts // 1000) * 1000 AS window_start, (ts // 1000) * 1000 + 1000 AS window_end FROM s WHERE region <> 'flush' GROUP BY region, ts // 1000",
  "SELECT COUNT(*) AS n, MAX(amount) AS mx, ws AS window_start, ws + 2000 AS window_end FROM s, unnest(range((ts // 1000) * 1000 - 1000, (ts // 1000) * 1000 + 1, 1000)) AS h(ws) WHERE region <> 'flush' AND ws + 2000 > ts GROUP BY ws",
];

const makeEvent = (seq: number): OracleEvent => ({ ts: BASE + seq * 10, region: ['eu', 'us', 'apac'][seq % 3]!, amount: (seq % 37) + 0.5 });

t.test('SIGKILL the process emitting final rows at random points: each final row once, rows equal DuckDB', async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  await api.inject({ method: 'PUT', url: '/v1/streams/c', payload: { partitions: 3 } });
  const ids: string[] = [];
  for (const q of QUERIES) {
    const res = await api.inject({ method: 'POST', url: '/v1/queries', payload: { sql: q.sql, emit: q.emit, start: 'earliest', lateness: '3s' } });
    if (res.statusCode !== 201) throw new Error(res.body);
    ids.push(res.json<{ id: string }>().id);
  }
  const load = startLoad(async (events) => {
    const res = await api.inject({ method: 'POST', url: '/v1/streams/c/events', payload: events });
    return res.statusCode === 201 ? res.json<{ ids: string[] }>().ids : undefined;
  }, makeEvent, { posters: 2, batch: 6, pauseMs: 40 });
  const env = { REDIS_URL: r.url, ROLE: 'worker', LEASE_TTL: '1s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '29', SG_TEST_COMMIT_DELAY_MS: '20' };
  const gateways: Gateway[] = [await startGateway(env), await startGateway(env)];
  t.teardown(() => Promise.all(gateways.map((g) => g.kill())));
  let killedMerger = 0;
  for (let i = 0; i < KILLS; i++) {
    await new Promise((ok) => setTimeout(ok, 500 + Math.random() * 1500));
    // Whoever holds partition 0 of either query merges the partials and emits the final rows.
    const status = (await api.inject({ method: 'GET', url: `/v1/queries/${ids[i % ids.length]}` })).json<{ partitionStatus: { owner: string | null }[] }>();
    const owner = status.partitionStatus[0]?.owner ?? '';
    const victim = gateways.findIndex((g) => owner.includes(`-${g.child.pid}-`));
    const at = victim >= 0 ? victim : i % 2;
    if (victim >= 0) killedMerger++;
    await gateways[at]!.kill('SIGKILL');
    gateways[at] = await startGateway(env);
  }
  await load.stop();
  t.ok(killedMerger >= KILLS / 2, `the merging process was the one killed ${killedMerger} of ${KILLS} times`);
  // Far-ahead events on every partition close every window of the load.
  const flush = await api.inject({ method: 'POST', url: '/v1/streams/c/events', payload: Array.from({ length: 3 }, () => ({ ts: BASE + 86_400_000, region: 'flush', amount: 0 })) });
  t.equal(flush.statusCode, 201);

  const stored: OracleEvent[] = [];
  const storedIds = new Set<string>();
  for (let p = 0; p < 3; p++) {
    for (const e of (await r.client.xRange(keys.events(part('c', p, 3)), '-', '+')) ?? []) {
      stored.push(JSON.parse(e.message.e!) as OracleEvent);
      storedIds.add(`${p}:${e.id}`);
    }
  }
  // Ids are per partition stream; an acknowledged id must be in one of them.
  const lost = [...load.acked.keys()].filter((id) => ![0, 1, 2].some((p) => storedIds.has(`${p}:${id}`)));
  t.same(lost, [], `every one of ${load.acked.size} acknowledged events is stored`);
  const conn = await oracle(stored, { ts: 'BIGINT', region: 'VARCHAR', amount: 'DOUBLE' });
  for (const [i, id] of ids.entries()) {
    const expected = await oracleRows(conn, ORACLE[i]!);
    const finals = async () => {
      const count = new Map<string, number>();
      for (let p = 0; p < 3; p++) {
        for (const e of (await r.client.xRange(keys.task(part('c', p, 3), id).changes, '-', '+')) ?? []) {
          const c = JSON.parse(e.message.c!) as { op: string; key: string; final: boolean; row: { region?: string } };
          if (c.final && c.op === 'upsert') count.set(c.key, (count.get(c.key) ?? 0) + 1);
        }
      }
      return count;
    };
    const seen = await waitUntil(`query ${i}: every window final`, async () => {
      const c = await finals();
      return c.size >= expected.length ? c : undefined;
    }, 90_000, 200).catch(() => finals());
    t.equal(seen.size, expected.length, `query ${i} (emit ${QUERIES[i]!.emit}): a final row for each of ${expected.length} windows`);
    t.same([...seen.entries()].filter(([, n]) => n !== 1), [], `query ${i}: each final row exactly once through ${KILLS} kills`);
    // The results settle once every commit of the flush is in (a loaded machine read them once
    // between a window's final change and the last partition's commit).
    const closedRows = async () => {
      const rows = (await api.inject({ method: 'GET', url: `/v1/queries/${id}/results?limit=10000` })).json<{ rows: Record<string, unknown>[] }>().rows;
      return rows.filter((row) => row.region !== 'flush' && Date.parse(row.window_end as string) <= BASE + 86_400_000 - 3_000);
    };
    const closed = await waitUntil(`query ${i}: results settled`, async () => {
      const c = await closedRows();
      return sameRows(c, expected).length === 0 ? c : undefined;
    }, 30_000, 200).catch(() => closedRows());
    t.same(sameRows(closed, expected), [], `query ${i}: rows equal DuckDB over the ${stored.length} stored events (${closed.length} rows)`);
  }
});
