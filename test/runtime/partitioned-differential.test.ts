// One event time per query across partitions: the same random queries over the same events give the
// same rows with 1, 2 and 4 partitions, equal to DuckDB, with one key's events minutes ahead of the
// others and (at 4 partitions) one partition that never gets an event; every window's final row is
// emitted exactly once across the partitions' changes streams.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { oracle, oracleRows, sameRows, type OracleEvent } from '../helpers/oracle.js';
import { waitUntil } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import { keys } from '../../src/redis/keys.js';
import { fnv1a } from '../../src/ingest/partitioner.js';
import { part } from '../helpers/partitions.js';

const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' };
const SKEW_MS = 3 * 60_000;
const QUERIES = 12;
const EVENTS = 400;

// Six keys over exactly three of four partitions, so that at 4 partitions one stays idle.
function chooseKeys(): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < 6; i++) {
    const k = `k${i}`;
    const p4 = fnv1a(k) % 4;
    if (p4 !== 3) out.push(k);
  }
  const covered4 = new Set(out.map((k) => fnv1a(k) % 4));
  const covered2 = new Set(out.map((k) => fnv1a(k) % 2));
  if (covered4.size !== 3 || covered2.size !== 2) throw new Error('key choice does not cover the partitions as intended');
  return out;
}

interface Shape { ours: string; duck: string; windowed: boolean; emit: 'changes' | 'final' }

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

function shape(r: () => number): Shape {
  const win = pick(r, ['none', 'tumble', 'hop', 'cumulate', 'session'] as const);
  const keyExprs = win === 'session' ? ['k', ...(r() < 0.4 ? ['x % 3'] : [])] : [...(r() < 0.6 ? ['k'] : []), ...(r() < 0.3 ? ['x % 3'] : [])];
  const aggs = Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, ['COUNT(*)', 'SUM(x)', 'MIN(x)', 'MAX(y)', 'AVG(x)', 'COUNT(DISTINCT x % 5)']));
  const having = r() < 0.3 ? 'COUNT(*) > 2' : undefined;
  const emit = win !== 'none' && r() < 0.4 ? 'final' : 'changes';
  const keySel = keyExprs.map((e, i) => `${e} AS g${i}`);
  const aggSel = aggs.map((a, i) => `${a} AS c${i}`);
  const winSel = win === 'none' ? [] : ['window_start', 'window_end'];
  const ourWindow = {
    none: undefined,
    tumble: "TUMBLE(ts, INTERVAL '1' MINUTE)",
    hop: "HOP(ts, INTERVAL '30' SECOND, INTERVAL '2' MINUTE)",
    cumulate: "CUMULATE(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE)",
    session: "SESSION(ts, INTERVAL '45' SECOND)",
  }[win];
  const group = [...keyExprs, ...(ourWindow ? [ourWindow] : [])];
  if (group.length === 0 && aggs.length === 0) throw new Error('unreachable');
  // `f` marks the flush events that end the test: filtered out, they still move the watermarks.
  const ours = `SELECT ${[...keySel, ...winSel, ...aggSel].join(', ')} FROM STREAM WHERE f IS NULL${group.length ? ` GROUP BY ${group.join(', ')}` : ''}${having ? ` HAVING ${having}` : ''}`;
  let duck: string;
  const duckKeys = keyExprs.map((e, i) => `${e} AS g${i}`);
  const havingDuck = having ? ` HAVING ${having}` : '';
  if (win === 'session') {
    const part = keyExprs.join(', ');
    duck = `WITH o AS (SELECT *, CASE WHEN ts - LAG(ts) OVER (PARTITION BY ${part} ORDER BY ts) <= 45000 THEN 0 ELSE 1 END AS brk FROM s),
      w AS (SELECT *, SUM(brk) OVER (PARTITION BY ${part} ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid FROM o)
      SELECT ${[...duckKeys, 'MIN(ts) AS window_start', 'MAX(ts) + 45000 AS window_end', ...aggSel].join(', ')} FROM w GROUP BY ${part}, sid${havingDuck}`;
  } else if (win === 'none') {
    duck = `SELECT ${[...duckKeys, ...aggSel].join(', ')} FROM s${keyExprs.length ? ` GROUP BY ${keyExprs.join(', ')}` : ''}${havingDuck}`;
  } else {
    const w = {
      tumble: { from: '', where: '', start: '(ts // 60000) * 60000', end: '(ts // 60000) * 60000 + 60000' },
      hop: { from: ', unnest(range((ts // 30000) * 30000 - 90000, (ts // 30000) * 30000 + 1, 30000)) AS h(ws)', where: ' WHERE ws + 120000 > ts', start: 'ws', end: 'ws + 120000' },
      cumulate: { from: ', unnest(range((ts // 180000) * 180000 + ((ts - (ts // 180000) * 180000) // 60000) * 60000 + 60000, (ts // 180000) * 180000 + 180000 + 1, 60000)) AS c(we)', where: '', start: '(ts // 180000) * 180000', end: 'we' },
    }[win];
    duck = `SELECT ${[...duckKeys, `${w.start} AS window_start`, `${w.end} AS window_end`, ...aggSel].join(', ')} FROM s${w.from}${w.where} GROUP BY ${[...keyExprs, w.start, w.end].join(', ')}${havingDuck}`;
  }
  return { ours, duck, windowed: win !== 'none', emit };
}

function makeEvents(r: () => number, ks: string[]): OracleEvent[] {
  const out: OracleEvent[] = [];
  let base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < EVENTS; i++) {
    base += Math.floor(r() * 5_000);
    const k = pick(r, ks);
    // One key's events are minutes ahead of the rest: its partition's watermark runs ahead.
    const ts = base + Math.floor(r() * 4_000) + (k === ks[0] ? SKEW_MS : 0);
    out.push({ k, x: Math.floor(r() * 50) - 10, y: Math.round(r() * 10_000) / 100, ts });
  }
  return out;
}

async function json<T>(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown): Promise<T> {
  const res = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json<T>();
}

t.test('random queries over 1, 2 and 4 partitions with skewed event times equal DuckDB; finals once', async (t) => {
  const r = rng(7);
  const ks = chooseKeys();
  const events = makeEvents(r, ks);
  const shapes = Array.from({ length: QUERIES }, () => shape(r));
  t.ok(new Set(shapes.map((s) => s.ours.match(/TUMBLE|HOP|CUMULATE|SESSION/)?.[0] ?? 'none')).size >= 4, 'the shapes cover most window kinds');
  const conn = await oracle(events, { k: 'VARCHAR', x: 'BIGINT', y: 'DOUBLE', ts: 'BIGINT' });
  const expected = await Promise.all(shapes.map((s) => oracleRows(conn, s.duck)));
  const maxTs = Math.max(...events.map((e) => e.ts));

  const redis = await startRedis(t);
  const a = await startApp(t, redis.url, FAST);
  const b = await startApp(t, redis.url, FAST);
  for (const partitions of [1, 2, 4]) {
    const stream = `p${partitions}`;
    await json(a, 'PUT', `/v1/streams/${stream}`, { partitions, partitionKey: 'k' });
    // Everything is in the stream before the queries start from the earliest entry.
    for (let i = 0; i < events.length; i += 100) await json(b, 'POST', `/v1/streams/${stream}/events`, events.slice(i, i + 100));
    await json(b, 'POST', `/v1/streams/${stream}/events`, ks.map((k) => ({ k, f: 1, ts: maxTs + 86_400_000 })));
    const ids: string[] = [];
    for (const s of shapes) {
      const created = await json<{ id: string }>(a, 'POST', '/v1/queries', { sql: s.ours.replace('STREAM', stream), start: 'earliest', lateness: '5m', idleTimeout: '1s', emit: s.emit });
      ids.push(created.id);
    }
    for (const [i, s] of shapes.entries()) {
      let diff: string[] = [];
      await waitUntil(`${partitions} partitions, query ${i}: rows equal DuckDB`, async () => {
        const rows = (await json<{ rows: Record<string, unknown>[] }>(b, 'GET', `/v1/queries/${ids[i]}/results?limit=10000`)).rows;
        diff = sameRows(rows, expected[i]!);
        return diff.length === 0;
      }, 60_000, 200).catch(() => undefined);
      t.same(diff, [], `${partitions} partition(s): ${s.ours.replace('STREAM', stream)} (emit ${s.emit}, ${expected[i]!.length} rows)`);
      if (!s.windowed) continue;
      // Every window's final row once, across all partitions' changes streams.
      const finals = async () => {
        const count = new Map<string, number>();
        for (let p = 0; p < partitions; p++) {
          const entries = (await redis.client.xRange(keys.task(part(stream, p, partitions), ids[i]!).changes, '-', '+')) ?? [];
          for (const e of entries) {
            const c = JSON.parse(e.message.c!) as { op: string; key: string; final: boolean };
            if (c.final && c.op === 'upsert') count.set(c.key, (count.get(c.key) ?? 0) + 1);
          }
        }
        return count;
      };
      // Open rows are readable before their windows close: wait for the last final row.
      const seen = await waitUntil(`${partitions} partitions, query ${i}: final rows`, async () => {
        const c = await finals();
        return c.size >= expected[i]!.length ? c : undefined;
      }, 30_000, 100).catch(() => finals());
      t.equal(seen.size, expected[i]!.length, `${partitions} partition(s), query ${i}: a final row for every window`);
      t.same([...seen.values()].filter((n) => n !== 1), [], `${partitions} partition(s), query ${i}: each final row exactly once`);
    }
  }
});

t.test('a window spread over two partitions closes once, when the slower partition passes it', async (t) => {
  const redis = await startRedis(t);
  const app = await startApp(t, redis.url, FAST);
  await json(app, 'PUT', '/v1/streams/two', { partitions: 2, partitionKey: 'k' });
  const ks = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const [fast, slow] = [ks.filter((k) => fnv1a(k) % 2 === 0), ks.filter((k) => fnv1a(k) % 2 === 1)];
  const { id } = await json<{ id: string }>(app, 'POST', '/v1/queries', { sql: "SELECT COUNT(*) AS n, window_start FROM two GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)", start: 'earliest' });
  // 8 events in [0, 10 s), over both partitions.
  await json(app, 'POST', '/v1/streams/two/events', Array.from({ length: 8 }, (_, i) => ({ k: i % 2 ? fast[0] : slow[0], ts: i * 1000 })));
  // 4 later events that advance only one partition.
  await json(app, 'POST', '/v1/streams/two/events', Array.from({ length: 4 }, (_, i) => ({ k: fast[0], ts: 20_000 + i })));
  const rows = await waitUntil('both batches processed', async () => {
    const q = await json<{ lag: number; processed: number }>(app, 'GET', `/v1/queries/${id}`);
    if (q.lag !== 0 || q.processed !== 12) return undefined;
    return (await json<{ rows: { n: number; window_start: string }[] }>(app, 'GET', `/v1/queries/${id}/results`)).rows;
  });
  t.same(rows.find((r) => r.window_start === new Date(0).toISOString())?.n, 8, 'window [0, 10 s) holds all 8 events');
  const finalsBefore = await finalCount(redis.client, id);
  t.equal(finalsBefore, 0, 'not final while the slower partition is behind');
  await json(app, 'POST', '/v1/streams/two/events', [{ k: slow[0], ts: 30_000 }]);
  // The query watermark is now min(20.003 s, 30 s): [0, 10 s) closes, [20 s, 30 s) stays open.
  await waitUntil('window [0, 10 s) final', async () => (await finalCount(redis.client, id)) === 1);
  const after = (await json<{ rows: { n: number; window_start: string }[] }>(app, 'GET', `/v1/queries/${id}/results`)).rows;
  t.same(after.find((r) => r.window_start === new Date(0).toISOString())?.n, 8, 'its final row holds all 8 events');
  t.equal(after.find((r) => r.window_start === new Date(20_000).toISOString())?.n, 4);
  await new Promise((ok) => setTimeout(ok, 500));
  t.equal(await finalCount(redis.client, id), 1, 'window [0, 10 s) final once; [20 s, 30 s) not yet');

  async function finalCount(client: typeof redis.client, queryId: string): Promise<number> {
    let n = 0;
    for (let p = 0; p < 2; p++) {
      for (const e of (await client.xRange(keys.task(part('two', p, 2), queryId).changes, '-', '+')) ?? []) if ((JSON.parse(e.message.c!) as { final: boolean }).final) n++;
    }
    return n;
  }
});
