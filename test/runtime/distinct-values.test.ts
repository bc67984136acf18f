// Large DISTINCT sets against a real Redis: their values live in a hash beside the group's entry
// (written as they arrive), results equal DuckDB on 1 and 3 partitions across a SIGKILL of the
// worker, the values hashes hold exactly the distinct values, and closed windows leave none behind.
import t from 'tap';
import { scanKeys, startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { startGateway, type Gateway } from '../helpers/gateway.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from '../helpers/oracle.js';
import { waitUntil } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

// About 25 s on a quiet machine.
t.setTimeout(180_000);

const BASE = Date.UTC(2026, 0, 1);
const QUERIES = [
  { sql: 'SELECT g, COUNT(DISTINCT u) AS du, SUM(DISTINCT x) AS sx, COUNT(*) AS n FROM STREAM GROUP BY g', oracle: 'SELECT g, COUNT(DISTINCT u) AS du, SUM(DISTINCT x) AS sx, COUNT(*) AS n FROM s GROUP BY g' },
  {
    sql: "SELECT g, COUNT(DISTINCT u) AS du, window_start, window_end FROM STREAM GROUP BY g, TUMBLE(ts, INTERVAL '10' SECOND)",
    oracle: 'SELECT g, COUNT(DISTINCT u) AS du, (ts // 10000) * 10000 AS window_start, (ts // 10000) * 10000 + 10000 AS window_end FROM s GROUP BY g, ts // 10000',
  },
];

t.test('results equal DuckDB across a SIGKILL; values hashes hold exactly the distinct values; closed windows leave none', async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const env = { REDIS_URL: r.url, ROLE: 'worker', LEASE_TTL: '1s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '200' };
  let worker: Gateway = await startGateway(env);
  t.teardown(() => worker.kill());
  const rand = rng(5);
  const ids: { id: string; stream: string; partitions: number; q: number }[] = [];
  for (const partitions of [1, 3]) {
    const stream = `d${partitions}`;
    await api.inject({ method: 'PUT', url: `/v1/streams/${stream}`, payload: { partitions } });
    for (const [q, def] of QUERIES.entries()) {
      const res = await api.inject({ method: 'POST', url: '/v1/queries', payload: { sql: def.sql.replace('STREAM', stream), start: 'earliest', idleTimeout: '1s' } });
      if (res.statusCode !== 201) throw new Error(res.body);
      ids.push({ id: res.json<{ id: string }>().id, stream, partitions, q });
    }
  }
  const events: OracleEvent[] = Array.from({ length: 6000 }, (_, i) => ({ ts: BASE + Math.floor((i / 6000) * 40_000), g: ['a', 'b', 'c'][Math.floor(rand() * 3)]!, u: Math.floor(rand() * 1500), x: Math.floor(rand() * 400) }));
  for (let i = 0; i < events.length; i += 500) {
    for (const stream of ['d1', 'd3']) {
      const res = await api.inject({ method: 'POST', url: `/v1/streams/${stream}/events`, payload: events.slice(i, i + 500) });
      if (res.statusCode !== 201) throw new Error(res.body);
    }
    // Half-way, the worker dies without a word; the next one starts from the checkpoints.
    if (i === 3000) {
      await worker.kill('SIGKILL');
      worker = await startGateway(env);
    }
  }
  const conn = await oracle(events, { ts: 'BIGINT', g: 'VARCHAR', u: 'BIGINT', x: 'BIGINT' });
  for (const { id, stream, partitions, q } of ids) {
    const expected = await oracleRows(conn, QUERIES[q]!.oracle);
    let problems: string[] = [];
    await waitUntil(`${stream} query ${q} equals DuckDB`, async () => {
      const rows = (await api.inject({ method: 'GET', url: `/v1/queries/${id}/results?limit=10000` })).json<{ rows: Record<string, unknown>[] }>().rows;
      problems = sameRows(rows, expected);
      return problems.length === 0 ? true : undefined;
    }, 60_000, 250).catch(() => undefined);
    t.same(problems, [], `${partitions} partition(s), query ${q}: ${expected.length} rows equal DuckDB`);
    if (q === 1) {
      const open = async () => (await Promise.all(Array.from({ length: partitions }, (_, p) => r.client.hLen(keys.task(part(stream, p, partitions), id).state)))).reduce((a, b) => a + b, 0);
      await waitUntil(`${stream}: every window closed`, async () => ((await open()) === 0 ? true : undefined), 30_000, 200);
    }
    const valueKeys: string[] = [];
    for (let p = 0; p < partitions; p++) {
      valueKeys.push(...(await scanKeys(r, `${keys.task(part(stream, p, partitions), id).valuesPrefix}*`)));
    }
    if (q === 1) {
      // Every window closed (idle past 1 s): no state, so no values hash either.
      t.same(valueKeys, [], `${partitions} partition(s): closed windows left no values hash`);
      continue;
    }
    t.ok(valueKeys.length >= 3, `${partitions} partition(s): ${valueKeys.length} values hashes (a group per partition holding it)`);
    if (partitions === 1) {
      for (const g of ['a', 'b', 'c']) {
        const k = keys.task(part(stream, 0, partitions), id);
        const fields = await r.client.hKeys(`${k.valuesPrefix}${JSON.stringify([g])}`);
        const entry = (await r.client.hGet(k.state, JSON.stringify([g])))!;
        const du = fields.filter((f) => f.startsWith('0:')).length;
        const [want] = await oracleRows(conn, `SELECT COUNT(DISTINCT u) AS du, COUNT(DISTINCT x) AS dx FROM s WHERE g = '${g}'`);
        t.same({ du, dx: fields.filter((f) => f.startsWith('1:')).length }, want, `group ${g}: its values hash holds exactly its distinct u and x`);
        t.ok(entry.length < 200, `group ${g}: its state entry is ${entry.length} characters`);
      }
    }
  }
});
