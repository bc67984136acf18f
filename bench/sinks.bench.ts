// npm run bench:sinks — the PostgreSQL sink's rows/s (catching up a backlog, against a plain
// multi-row upsert loop from this process) and its lag at 10k events/s; the webhook sink's
// changes/s (against plain POSTs of the same bodies to the same receiver). The gateway runs as its
// own process; PostgreSQL is the machine's (SG_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { LocalRedis } from '../src/redis/local-server.js';
import { startBenchGateway } from './helpers/gateway.js';

const PG_URL = process.env.SG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = 10_000;
const KEYS = 2_000;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

type SinkView = { delivered: number; lagChanges: number; lagMs: number; state: string; lastError: string | null };

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function sinkView(url: string, id: string): Promise<SinkView> {
  return (await json<{ sinks: SinkView[] }>(await fetch(`${url}/v1/queries/${id}/sinks`))).sinks[0]!;
}

/** Posts `rate` events/s for `seconds` in batches of 100 (keys spread over KEYS). */
async function drive(url: string, stream: string, rate: number, seconds: number, onTick?: () => Promise<void>): Promise<number> {
  const start = performance.now();
  let sent = 0;
  let nextTick = start;
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    const posts: Promise<Response>[] = [];
    while (sent < due) {
      const events = Array.from({ length: 100 }, (_, i) => ({ k: (sent + i) % KEYS, amount: (sent + i) % 37 }));
      posts.push(fetch(`${url}/v1/streams/${stream}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) }));
      sent += 100;
    }
    await Promise.all(posts);
    if (onTick && performance.now() >= nextTick) {
      nextTick += 250;
      await onTick();
    }
    await sleep(5);
  }
  return sent;
}

async function register(url: string, stream: string, sink: object, start = 'latest'): Promise<string> {
  const q = await json<{ id: string }>(await fetch(`${url}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: `SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM ${stream} GROUP BY k`, start, sinks: [sink] }) }));
  for (;;) {
    const v = await sinkView(url, q.id);
    if (v.state === 'running') return q.id;
    await sleep(50);
  }
}

async function caughtUp(url: string, id: string, timeoutMs = 300_000): Promise<SinkView> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const q = await json<{ lag: number }>(await fetch(`${url}/v1/queries/${id}`));
    const v = await sinkView(url, id);
    if (q.lag === 0 && v.lagChanges === 0) return v;
    if (Date.now() > end) throw new Error(`not caught up: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

async function postgres(url: string, pool: pg.Pool, schema: string): Promise<void> {
  // Steady state at 10k events/s: how far the table trails the query's changes.
  const steady = await register(url, 'orders', { type: 'postgres', name: 'pg', url: PG_URL, table: `${schema}.steady` });
  const lags: number[] = [];
  const d0 = (await sinkView(url, steady)).delivered;
  const t0 = performance.now();
  const sent = await drive(url, 'orders', RATE, SECONDS, async () => {
    lags.push((await sinkView(url, steady)).lagMs);
  });
  const done = await caughtUp(url, steady);
  const secs = (performance.now() - t0) / 1000;
  console.log(`PostgreSQL sink at ${RATE.toLocaleString()} events/s (${sent.toLocaleString()} events, ${KEYS.toLocaleString()} keys): ${Math.round((done.delivered - d0) / secs).toLocaleString()} changes/s delivered; lag p50 ${pct(lags, 50)} ms, p99 ${pct(lags, 99)} ms, max ${Math.max(...lags)} ms`);

  // Catching up: a new query over the whole backlog; its sink writes as fast as it can.
  const t1 = performance.now();
  const backlog = await register(url, 'orders', { type: 'postgres', name: 'pg', url: PG_URL, table: `${schema}.backlog` }, 'earliest');
  const caught = await caughtUp(url, backlog);
  const catchSecs = (performance.now() - t1) / 1000;
  const rows = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.backlog`)).rows[0]!.n);
  const sinkRate = caught.delivered / catchSecs;

  // Baseline: the same number of row writes as plain multi-row upserts from this process.
  await pool.query(`CREATE TABLE ${schema}.baseline (_key TEXT PRIMARY KEY, k NUMERIC, n BIGINT, total NUMERIC)`);
  const tb = performance.now();
  for (let written = 0; written < Math.max(caught.delivered, rows); written += 500) {
    const params: unknown[] = [];
    const tuples = Array.from({ length: 500 }, (_, i) => {
      const k = (written + i) % KEYS;
      params.push(`[${k}]`, k, written + i, (written + i) % 37);
      return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`;
    });
    // 500 distinct keys per statement (KEYS > 500), as the sink writes the newest change of a key per batch.
    const client = await pool.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${schema}.baseline VALUES ${tuples.join(', ')} ON CONFLICT (_key) DO UPDATE SET n = EXCLUDED.n, total = EXCLUDED.total`, params);
    await client.query('COMMIT');
    client.release();
  }
  const baseRate = Math.max(caught.delivered, rows) / ((performance.now() - tb) / 1000);
  console.log(`PostgreSQL sink catching up ${caught.delivered.toLocaleString()} changes (${rows.toLocaleString()} rows) from a ${sent.toLocaleString()}-event backlog: ${Math.round(sinkRate).toLocaleString()} rows/s (query and sink together, from registration); plain upserts of 500 rows per transaction from this process: ${Math.round(baseRate).toLocaleString()} rows/s; ratio ${(sinkRate / baseRate).toFixed(2)}`);
}

async function webhook(url: string): Promise<void> {
  let changes = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      changes += (JSON.parse(body) as { changes?: unknown[] }).changes?.length ?? 0;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const hook = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const id = await register(url, 'clicks', { type: 'webhook', name: 'hook', url: hook, secret: 'bench-secret-0123456789', batchSize: 500, concurrency: 4 });
  const lags: number[] = [];
  const t0 = performance.now();
  const sent = await drive(url, 'clicks', RATE, SECONDS, async () => {
    lags.push((await sinkView(url, id)).lagMs);
  });
  await caughtUp(url, id);
  const rate = changes / ((performance.now() - t0) / 1000);
  // Baseline: the same bodies POSTed from this process, 4 at a time.
  const body = JSON.stringify({ query: id, sink: 'hook', type: 'changes', changes: Array.from({ length: 500 }, (_, i) => ({ op: 'upsert', key: `[${i}]`, row: { k: i, n: i, total: i }, offset: `1-${i}`, final: false })) });
  const before = changes;
  const tb = performance.now();
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let i = 0; i < 50; i++) await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }));
  const baseRate = (changes - before) / ((performance.now() - tb) / 1000);
  console.log(`webhook sink at ${RATE.toLocaleString()} events/s (${sent.toLocaleString()} events): ${Math.round(rate).toLocaleString()} changes/s received; lag p50 ${pct(lags, 50)} ms, p99 ${pct(lags, 99)} ms; plain POSTs of 500-change bodies, 4 at a time: ${Math.round(baseRate).toLocaleString()} changes/s`);
  server.close();
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-sinks-'));
  const redis = new LocalRedis({ dir, persistence: false });
  await redis.start();
  const { child, url } = await startBenchGateway(redis.url, {});
  const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const schema = `bench_${process.pid}`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  try {
    await postgres(url, pool, schema);
    await webhook(url);
    console.log('archive MB/s and its cost to ingest: npm run bench:archive');
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    child.kill('SIGTERM');
    await new Promise((ok) => child.once('exit', ok));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
