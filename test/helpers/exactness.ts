// Shared by the fault tests: three queries (windowed and not, with COUNT(DISTINCT)), their
// DuckDB equivalents, the event generator, and the exactness check over acknowledged events.
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import type { Redis } from '../../src/redis/client.js';
import { keys } from '../../src/redis/keys.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from './oracle.js';
import { waitUntil } from './wait.js';

const BASE = Date.UTC(2026, 0, 1);

export const QUERIES = [
  {
    sql: 'SELECT region, COUNT(*) AS n, SUM(amount) AS total, COUNT(DISTINCT uid) AS users FROM s GROUP BY region',
    oracle: 'SELECT region, COUNT(*) AS n, SUM(amount) AS total, COUNT(DISTINCT uid) AS users FROM s GROUP BY region',
  },
  {
    sql: "SELECT region, COUNT(*) AS n, MAX(amount) AS mx, window_start, window_end FROM s GROUP BY region, TUMBLE(ts, INTERVAL '1' SECOND)",
    lateness: '30s',
    oracle: 'SELECT region, COUNT(*) AS n, MAX(amount) AS mx, (ts // 1000) * 1000 AS window_start, (ts // 1000) * 1000 + 1000 AS window_end FROM s GROUP BY region, ts // 1000',
  },
  {
    sql: 'SELECT k, COUNT(DISTINCT uid) AS u, MIN(amount) AS mn, COUNT(*) AS n FROM s WHERE amount > 10 GROUP BY k',
    oracle: 'SELECT k, COUNT(DISTINCT uid) AS u, MIN(amount) AS mn, COUNT(*) AS n FROM s WHERE amount > 10 GROUP BY k',
  },
];

export const makeEvent = (seq: number): OracleEvent => ({
  ts: BASE + seq * 10,
  region: ['eu', 'us', 'apac'][seq % 3]!,
  uid: `u${(seq * 7919) % 211}`,
  k: seq % 7,
  amount: (seq % 37) + 0.5,
});

export const COLUMNS = { ts: 'BIGINT', region: 'VARCHAR', uid: 'VARCHAR', k: 'BIGINT', amount: 'DOUBLE' } as const;

export async function register(api: FastifyInstance): Promise<string[]> {
  const ids: string[] = [];
  for (const q of QUERIES) {
    const res = await api.inject({ method: 'POST', url: '/v1/queries', payload: { sql: q.sql, start: 'earliest', ...(q.lateness ? { lateness: q.lateness } : {}) } });
    if (res.statusCode !== 201) throw new Error(res.body);
    ids.push(res.json<{ id: string }>().id);
  }
  return ids;
}

/** Waits until every query has committed everything, then checks results against DuckDB. */
export async function checkExact(t: Test, api: FastifyInstance, redis: Redis, ids: string[], acked: Map<string, OracleEvent>, which: number[] = ids.map((_, i) => i)): Promise<void> {
  for (const id of ids) {
    await waitUntil(`query ${id} caught up`, async () => {
      const q = (await api.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ lag: number; processed: number }>();
      return q.lag === 0 ? q : undefined;
    }, 60_000, 100);
  }
  // The oracle runs over what the stream holds: every acknowledged event must be there (nothing
  // lost), and an event whose answer was lost in an outage may be there too, counted once.
  const entries = (await redis.xRange(keys.events('s', 0), '-', '+')) ?? [];
  const stored = new Map(entries.map((e) => [e.id, JSON.parse(e.message.e!) as OracleEvent]));
  const lost = [...acked.keys()].filter((id) => !stored.has(id));
  t.same(lost, [], `every one of ${acked.size} acknowledged events is in the stream`);
  const conn = await oracle([...stored.values()], COLUMNS);
  for (const [i, id] of ids.entries()) {
    const rows = (await api.inject({ method: 'GET', url: `/v1/queries/${id}/results?limit=10000` })).json<{ rows: Record<string, unknown>[] }>().rows;
    const expected = await oracleRows(conn, QUERIES[which[i]!]!.oracle);
    t.same(sameRows(rows, expected), [], `query ${i + 1} equals DuckDB over the ${stored.size} stored events (${rows.length} rows)`);
    const pending = await redis.xPending(keys.events('s', 0), id);
    t.equal(Number(pending.pending), 0, `query ${i + 1}: no entry left pending`);
  }
}

