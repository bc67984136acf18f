// npm run bench:results — pull reads on a query with GROUPS groups (default 1,000,000): point lookup,
// first page of 100, following cursors (p50/p99, ms), beside GET /healthz on the same gateway; and the
// gateway's RSS growth while a WebSocket snapshot of every row is taken. A worker gateway processes the
// query; the reads go to an api gateway; both are their own processes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createClient } from 'redis';
import { LocalRedis } from '../src/redis/local-server.js';
import { startBenchGateway } from './helpers/gateway.js';
import { keys } from '../src/redis/keys.js';
import { part } from '../test/helpers/partitions.js';

const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 1);
const SQL = 'SELECT u, COUNT(*) AS n, SUM(x) AS total FROM s GROUP BY u';
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));


const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function timed(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'sg-bench-results-'));
const redis = new LocalRedis({ dir, persistence: false });
await redis.start();
// Reads go to an api process, as a read-heavy deployment would: the worker's heap holds the engine's groups.
const worker = await startBenchGateway(redis.url, { LOG_LEVEL: 'error', BATCH_SIZE: '5000', ROLE: 'worker' });
const gw = await startBenchGateway(redis.url, { LOG_LEVEL: 'error', ROLE: 'api' });
try {
  const client = createClient({ url: redis.url });
  await client.connect();
  await fetch(`${gw.url}/v1/streams/s`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partitions: PARTITIONS }) });
  // One event per group, written straight into the partitions (ingest is not what is measured).
  const t0 = Date.now();
  for (let i = 0; i < GROUPS; i += 10_000) {
    const m = client.multi();
    for (let j = i; j < Math.min(GROUPS, i + 10_000); j++) m.xAdd(keys.events(part('s', j % PARTITIONS, PARTITIONS)), '*', { e: JSON.stringify({ u: `u${j}`, x: j % 100 }), t: String(t0 + j), a: String(t0) });
    await m.exec();
  }
  const created = (await (await fetch(`${gw.url}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: SQL, start: 'earliest' }) })).json()) as { id: string };
  const id = created.id;
  const loadStart = performance.now();
  for (;;) {
    const q = (await (await fetch(`${gw.url}/v1/queries/${id}`)).json()) as { lag: number; processed: number };
    if (q.processed >= GROUPS && q.lag === 0) break;
    await sleep(500);
  }
  console.log(`streamgate results benchmark: ${GROUPS.toLocaleString('en')} groups over ${PARTITIONS} partition(s), processed in ${((performance.now() - loadStart) / 1000).toFixed(1)} s\n`);
  const get = async (path: string) => {
    const res = await fetch(`${gw.url}${path}`);
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    return (await res.json()) as { rows: unknown[]; next?: string };
  };
  // Warm-up: the compiled plan and the renderer are cached on first use.
  await get(`/v1/queries/${id}/results?limit=100`);
  const health = await timed(300, async () => void (await (await fetch(`${gw.url}/healthz`)).arrayBuffer()));
  const point = await timed(500, async (i) => {
    const page = await get(`/v1/queries/${id}/results?where=u:u${(i * 7919) % GROUPS}`);
    if (page.rows.length !== 1) throw new Error('point lookup found no row');
  });
  const first = await timed(200, async () => void (await get(`/v1/queries/${id}/results?limit=100`)));
  let cursor: string | undefined;
  const cursors = await timed(300, async () => {
    const page = await get(`/v1/queries/${id}/results?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    cursor = page.next;
  });
  const line = (label: string, xs: number[]) => console.log(`${label.padEnd(40)} p50 ${pct(xs, 50).toFixed(2).padStart(7)} ms   p99 ${pct(xs, 99).toFixed(2).padStart(7)} ms`);
  line('GET /healthz (baseline)', health);
  line('point lookup (where=u:…)', point);
  line('first page of 100', first);
  line('following cursors, pages of 100', cursors);

  // A snapshot of every row over WebSocket, with the gateway's RSS sampled while it streams.
  const before = rssMb(gw.child.pid!);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gw.child.pid!))), 50);
  const snapStart = performance.now();
  const rows = await new Promise<number>((ok, fail) => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/queries/${id}/subscribe`);
    let n = 0;
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; rows?: unknown[]; last?: boolean };
      if (m.type === 'snapshot') {
        n += m.rows?.length ?? 0;
        if (m.last !== false) {
          ws.close();
          ok(n);
        }
      }
    });
    ws.on('error', fail);
  });
  clearInterval(sampler);
  console.log(`\nWebSocket snapshot of ${rows.toLocaleString('en')} rows in ${((performance.now() - snapStart) / 1000).toFixed(1)} s; gateway RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB (growth ${(peak - before).toFixed(0)} MB)`);
  await client.close();
} finally {
  gw.child.kill('SIGKILL');
  worker.child.kill('SIGKILL');
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
