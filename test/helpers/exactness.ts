// Shared by the fault tests: three queries (windowed and not, with COUNT(DISTINCT)), their
// DuckDB equivalents, the event generator, and the exactness check over acknowledged events.
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import type { Redis } from '../../src/redis/client.js';
import { keys } from '../../src/redis/keys.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from './oracle.js';
import { waitUntil } from './wait.js';
import { part } from './partitions.js';

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

export interface ExactReport {
  /** Acknowledged entry ids the streams do not hold. */
  lost: string[];
  stored: number;
  /** Per query: how its rows differ from DuckDB over the stored events ([] when equal). */
  differences: string[][];
  rows: number[];
  /** Per query and partition: entries delivered but not acknowledged. */
  pending: number[][];
}

/** Waits until every query has committed everything, then compares its results with DuckDB. */
export async function compareExact(api: FastifyInstance, redis: Redis, ids: string[], acked: Map<string, OracleEvent>, which: number[] = ids.map((_, i) => i), opts: { stream?: string; partitions?: number } = {}): Promise<ExactReport> {
  const stream = opts.stream ?? 's';
  const partitions = opts.partitions ?? 1;
  for (const id of ids) {
    await waitUntil(`query ${id} caught up`, async () => {
      const q = (await api.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ lag: number; processed: number }>();
      return q.lag === 0 ? q : undefined;
    }, 60_000, 100);
  }
  // The oracle runs over what the stream holds: every acknowledged event must be there (nothing
  // lost), and an event whose answer was lost in an outage may be there too, counted once.
  // Entry ids are per partition stream: an acknowledged id must be in one of them.
  const stored: OracleEvent[] = [];
  const storedIds = new Set<string>();
  for (let p = 0; p < partitions; p++) {
    for (const e of (await redis.xRange(keys.events(part(stream, p, partitions)), '-', '+')) ?? []) {
      stored.push(JSON.parse(e.message.e!) as OracleEvent);
      storedIds.add(e.id);
    }
  }
  const report: ExactReport = { lost: [...acked.keys()].filter((id) => !storedIds.has(id)), stored: stored.length, differences: [], rows: [], pending: [] };
  const conn = await oracle(stored, COLUMNS);
  for (const [i, id] of ids.entries()) {
    const rows = (await api.inject({ method: 'GET', url: `/v1/queries/${id}/results?limit=10000` })).json<{ rows: Record<string, unknown>[] }>().rows;
    report.differences.push(sameRows(rows, await oracleRows(conn, QUERIES[which[i]!]!.oracle)));
    report.rows.push(rows.length);
    const pending: number[] = [];
    for (let p = 0; p < partitions; p++) pending.push(Number((await redis.xPending(keys.events(part(stream, p, partitions)), id)).pending));
    report.pending.push(pending);
  }
  return report;
}

/** Waits until every query has committed everything, then checks results against DuckDB. */
export async function checkExact(t: Test, api: FastifyInstance, redis: Redis, ids: string[], acked: Map<string, OracleEvent>, which: number[] = ids.map((_, i) => i), opts: { stream?: string; partitions?: number } = {}): Promise<void> {
  const report = await compareExact(api, redis, ids, acked, which, opts);
  t.same(report.lost, [], `every one of ${acked.size} acknowledged events is in the stream`);
  for (let i = 0; i < ids.length; i++) {
    t.same(report.differences[i], [], `query ${i + 1} equals DuckDB over the ${report.stored} stored events (${report.rows[i]} rows)`);
    t.ok(report.pending[i]!.every((n) => n === 0), `query ${i + 1}: no entry left pending (${report.pending[i]!.join(', ')})`);
  }
}

