// Pull results read through the result index: every page walk (random where, from/to, limit) equals
// the full read filtered and sorted, on 1 and 3 partitions, and the index holds exactly the keys
// of the state, sealed and results hashes.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import { keys } from '../../src/redis/keys.js';
import { readCurrentRows } from '../helpers/full-rows.js';
import { compiledQuery } from '../../src/runtime/compiled-queries.js';
import type { QueryDefinition } from '../../src/runtime/query-definition.js';
import { defaultRegistry } from '../../src/sql/compile.js';
import { part } from '../helpers/partitions.js';

const registry = defaultRegistry();

const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' };
const SQL = [
  { emit: 'changes', sql: "SELECT region, k, COUNT(*) AS n, SUM(x) AS total, window_start, window_end FROM STREAM GROUP BY region, k, TUMBLE(ts, INTERVAL '10' SECOND) HAVING COUNT(*) > 1" },
  { emit: 'changes', sql: 'SELECT u, COUNT(*) AS n, MAX(x) AS mx FROM STREAM GROUP BY u' },
  { emit: 'final', sql: "SELECT region, COUNT(*) AS n, window_start FROM STREAM GROUP BY region, TUMBLE(ts, INTERVAL '10' SECOND)" },
];

const printed = (x: unknown): string => (typeof x === 'string' ? x : typeof x === 'object' && x !== null ? JSON.stringify(x) : String(x));

t.test('every page walk equals the full read, filtered and in row-key byte order', async (t) => {
  const r = await startRedis(t);
  const app: FastifyInstance = await startApp(t, r.url, FAST);
  const rand = rng(11);
  let checks = 0;
  for (const partitions of [1, 3]) {
    const stream = `rr${partitions}`;
    await app.inject({ method: 'PUT', url: `/v1/streams/${stream}`, payload: { partitions, partitionKey: 'k' } });
    const ids: string[] = [];
    for (const q of SQL) {
      const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: q.sql.replace('STREAM', stream), emit: q.emit, start: 'earliest', idleTimeout: '1s' } });
      if (res.statusCode !== 201) throw new Error(res.body);
      ids.push(res.json<{ id: string }>().id);
    }
    const regions = ['eu', 'us', 'apac', 'ünïcode', '中', '😀'];
    const events = Array.from({ length: 600 }, (_, i) => ({
      region: regions[Math.floor(rand() * regions.length)],
      k: Math.floor(rand() * 4),
      // Numbers and numeric text both occur as group values.
      u: rand() < 0.5 ? Math.floor(rand() * 30) : String(Math.floor(rand() * 30)),
      x: Math.floor(rand() * 100),
      ts: Date.UTC(2026, 0, 1) + i * 300,
    }));
    const posted = await app.inject({ method: 'POST', url: `/v1/streams/${stream}/events`, payload: events });
    if (posted.statusCode !== 201) throw new Error(posted.body);
    for (const id of ids) {
      await waitUntil(`${id} caught up`, async () => ((await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ lag: number; processed: number }>().processed >= 600 ? true : undefined));
    }
    for (const [qi, id] of ids.entries()) {
      const def = (await app.sg.queryRegistry.get(id)) as QueryDefinition;
      // Once every partition is idle the query's windows stop closing: wait until the rows settle.
      let last = '';
      const all = await waitUntil(`query ${qi} settled`, async () => {
        const rows = (await readCurrentRows(r.client, def, compiledQuery(def, registry))).rows;
        const sealed = await Promise.all(Array.from({ length: partitions }, (_, p) => r.client.hLen(keys.task(part(stream, p, partitions), id).sealed)));
        const text = JSON.stringify(rows);
        const settled = text === last && sealed.every((n) => n === 0);
        last = text;
        return settled ? rows : undefined;
      }, 30_000, 700);
      const sorted = [...all].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
      for (let trial = 0; trial < 25; trial++) {
        const where: Record<string, string> = {};
        const sample = sorted[Math.floor(rand() * sorted.length)]?.row ?? {};
        for (const col of Object.keys(sample)) if (!/window/.test(col) && rand() < 0.35) where[col] = printed(sample[col]);
        if (rand() < 0.15) where[Object.keys(sample)[0] ?? 'n'] = 'no-such-value';
        const from = sample.window_start !== undefined && rand() < 0.3 ? (sample.window_start as string) : undefined;
        const limit = 1 + Math.floor(rand() * 7);
        const expected = sorted
          .filter(({ row }) => Object.entries(where).every(([c, v]) => row[c] !== undefined && printed(row[c]) === v))
          .filter(({ row }) => from === undefined || (row.window_start as string) >= from)
          .map((x) => x.row);
        const got: unknown[] = [];
        let cursor: string | undefined;
        for (let pages = 0; pages < 1000; pages++) {
          const qs = new URLSearchParams({ limit: String(limit) });
          if (Object.keys(where).length) qs.set('where', Object.entries(where).map(([c, v]) => `${c}:${v}`).join(','));
          if (from) qs.set('from', from);
          if (cursor) qs.set('cursor', cursor);
          const page = (await app.inject({ method: 'GET', url: `/v1/queries/${id}/results?${qs.toString()}` })).json<{ rows: unknown[]; next?: string }>();
          got.push(...page.rows);
          if (page.rows.length > limit) throw new Error('page over its limit');
          if (!page.next) break;
          cursor = page.next;
        }
        t.same(got, expected, `${partitions} partition(s), query ${qi}, where ${JSON.stringify(where)}${from ? ` from ${from}` : ''}, limit ${limit}: ${expected.length} rows`);
        checks++;
      }
      for (let p = 0; p < partitions; p++) {
        const k = keys.task(part(stream, p, partitions), id);
        const [index, state, sealed, results] = await Promise.all([r.client.zRange(k.index, 0, -1), r.client.hKeys(k.state), r.client.hKeys(k.sealed), r.client.hKeys(k.results)]);
        t.same([...index].sort(), [...new Set([...state, ...sealed, ...results])].sort(), `${partitions} partition(s), query ${qi}, partition ${p}: the index holds exactly the stored row keys`);
      }
    }
  }
  t.ok(checks >= 150, `${checks} page walks compared`);
});
