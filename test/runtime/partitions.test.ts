// A partitioned stream: one task per partition, shared by two processes; groups that span
// partitions are merged, so results equal DuckDB whatever the partition count.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from '../helpers/oracle.js';
import { waitUntil } from '../helpers/wait.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' };
const QUERIES = [
  { sql: 'SELECT k, COUNT(*) AS n, SUM(x) AS total, COUNT(DISTINCT region) AS regions FROM p GROUP BY k', oracle: 'SELECT k, COUNT(*) AS n, SUM(x) AS total, COUNT(DISTINCT region) AS regions FROM s GROUP BY k' },
  {
    sql: "SELECT k, COUNT(*) AS n, MAX(x) AS mx, window_start, window_end FROM p GROUP BY k, TUMBLE(ts, INTERVAL '10' SECOND)",
    oracle: 'SELECT k, COUNT(*) AS n, MAX(x) AS mx, (ts // 10000) * 10000 AS window_start, (ts // 10000) * 10000 + 10000 AS window_end FROM s GROUP BY k, ts // 10000',
  },
];

t.test('a query over 3 partitions, processed by two processes, equals DuckDB', async (t) => {
  const r = await startRedis(t);
  const a = await startApp(t, r.url, FAST);
  const b = await startApp(t, r.url, FAST);
  await a.inject({ method: 'PUT', url: '/v1/streams/p', payload: { partitions: 3, partitionKey: 'region' } });
  const ids: string[] = [];
  for (const q of QUERIES) {
    const res = await a.inject({ method: 'POST', url: '/v1/queries', payload: { sql: q.sql, start: 'earliest', lateness: '1h' } });
    t.equal(res.statusCode, 201, 'registered');
    ids.push(res.json<{ id: string }>().id);
  }
  const base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 20; i++) {
    const events = Array.from({ length: 50 }, (_, j) => {
      const n = i * 50 + j;
      return { region: `r${n % 5}`, k: n % 4, x: (n * 37) % 101, ts: base + n * 97 };
    });
    const posted = await b.inject({ method: 'POST', url: '/v1/streams/p/events', payload: events });
    if (posted.statusCode !== 201) throw new Error(posted.body);
  }
  for (const id of ids) {
    await waitUntil(`query ${id} caught up`, async () => {
      const q = (await a.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ lag: number; processed: number }>();
      return q.lag === 0 && q.processed === 1000 ? q : undefined;
    });
  }
  // Six tasks, two processes: each settles on three (the first to start hands tasks over).
  const split = await waitUntil('tasks shared fairly', async () => {
    const a1 = a.sg.coordinator!.ownedTasks().length;
    const b1 = b.sg.coordinator!.ownedTasks().length;
    return a1 === 3 && b1 === 3 ? [a1, b1] : undefined;
  }, 10_000);
  t.same(split, [3, 3], 'three tasks each');
  const stored: OracleEvent[] = [];
  for (let p = 0; p < 3; p++) {
    const entries = (await r.client.xRange(keys.events(part('p', p, 3)), '-', '+')) ?? [];
    t.ok(entries.length > 0, `partition ${p} holds events`);
    for (const e of entries) stored.push(JSON.parse(e.message.e!) as OracleEvent);
  }
  t.equal(stored.length, 1000);
  const conn = await oracle(stored, { region: 'VARCHAR', k: 'BIGINT', x: 'BIGINT', ts: 'BIGINT' });
  for (const [i, id] of ids.entries()) {
    const rows = (await b.inject({ method: 'GET', url: `/v1/queries/${id}/results?limit=10000` })).json<{ rows: Record<string, unknown>[] }>().rows;
    t.same(sameRows(rows, await oracleRows(conn, QUERIES[i]!.oracle)), [], `query ${i + 1}: partial aggregates merged across partitions equal DuckDB (${rows.length} rows)`);
  }
});
