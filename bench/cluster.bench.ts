// npm run bench:cluster — the same gateway on one Redis and on a 3-primary Redis Cluster:
// ingest events/s and Redis CPU µs per event (batches of 1 and of 100) and query catch-up (the
// commit path) for partitions P ∈ {1, 2, 4, 8} × gateway processes {1, 2}, each beside a raw XADD
// pipeline baseline on the same Redis; then the disruption of a slot migration and of a primary
// failover under load (duration, p99 ingest latency, 503s).
// BENCH_SECONDS (default 3) per ingest run; BENCH_PARTITIONS, BENCH_GATEWAYS narrow the matrix.
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ChildProcess } from 'node:child_process';
import { LocalRedis } from '../src/redis/local-server.js';
import { LocalCluster } from '../src/redis/local-cluster.js';
import { connectRedis, type Redis } from '../src/redis/client.js';
import { keys } from '../src/redis/keys.js';
import { startBenchGateway } from './helpers/gateway.js';
import { part } from '../test/helpers/partitions.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const PARTITIONS = (process.env.BENCH_PARTITIONS ?? '1,2,4,8').split(',').map(Number);
const GATEWAYS = (process.env.BENCH_GATEWAYS ?? '1,2').split(',').map(Number);
const CONNECTIONS = 16;
const QUERY_EVENTS = 20_000;
const BASE = 1767225600000;

const event = (i: number) => ({ k: `k${i % 1000}`, region: i % 2 ? 'eu' : 'us', amount: (i % 97) + 0.5, ts: BASE + i });
const single = JSON.stringify(event(1));
const hundred = JSON.stringify(Array.from({ length: 100 }, (_, i) => event(i)));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const log = pino({ level: 'silent' });

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Topology {
  name: string;
  url: string;
  pids: () => (number | undefined)[];
  stop: () => Promise<void>;
  cluster?: LocalCluster;
}

async function single1(dir: string): Promise<Topology> {
  const server = new LocalRedis({ dir, persistence: false });
  await server.start();
  return { name: 'one Redis', url: server.url, pids: () => [server.pid], stop: () => server.stop() };
}

async function cluster3(dir: string, replicas = 0): Promise<Topology> {
  const cluster = new LocalCluster({ dir, primaries: 3, replicas, nodeTimeoutMs: 1_000 });
  await cluster.start();
  return { name: replicas ? '3 primaries + 3 replicas' : '3-primary cluster', url: cluster.url, pids: () => cluster.nodes.map((n) => n.pid), stop: () => cluster.stop(), cluster };
}

const redisCpu = (top: Topology) => top.pids().reduce<number>((sum, pid) => sum + cpuSeconds(pid), 0);

/** Total entries in a stream's partitions. */
async function streamLength(redis: Redis, stream: string, partitions: number): Promise<number> {
  const lengths = await Promise.all(Array.from({ length: partitions }, (_, p) => redis.xLen(keys.events(part(stream, p, partitions)))));
  return lengths.reduce((a, b) => a + b, 0);
}

/** Raw XADD pipelines of 100 entries spread over P partition keys: what Redis alone sustains. */
async function rawXadd(redis: Redis, stream: string, partitions: number): Promise<number> {
  const entries = Array.from({ length: 100 }, (_, i) => ({ e: JSON.stringify(event(i)), t: String(BASE + i), a: String(Date.now()) }));
  let written = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, c) => {
    const key = keys.events(part(stream, c % partitions, partitions));
    while (Date.now() < end) {
      const m = redis.multi();
      for (const f of entries) m.xAdd(key, '*', f);
      await m.execAsPipeline();
      written += 100;
    }
  }));
  return written / SECONDS;
}

/** autocannon against every gateway at once, connections split between them. */
async function cannon(urls: string[], path: string, body: string): Promise<{ requests: number; p99: number; non2xx: number }> {
  const runs = await Promise.all(urls.map((url) => autocannon({ url: url + path, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: Math.ceil(CONNECTIONS / urls.length), duration: SECONDS })));
  return { requests: runs.reduce((a, r) => a + r.requests.total, 0), p99: Math.max(...runs.map((r) => r.latency.p99)), non2xx: runs.reduce((a, r) => a + r.non2xx, 0) };
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface Row {
  topology: string;
  gateways: number;
  partitions: number;
  placement: string;
  raw: number;
  single: number;
  singleCpu: number;
  batch: number;
  batchCpu: number;
  query: number;
  queryCpu: number;
  non2xx: number;
}

async function measure(top: Topology, gateways: number, partitions: number, redis: Redis): Promise<Row> {
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  try {
    for (let g = 0; g < gateways; g++) {
      const gw = await startBenchGateway(top.url, { LEASE_TTL: '2s', BLOCK_TIME: '50ms' });
      children.push(gw.child);
      urls.push(gw.url);
    }
    const tag = `${top.cluster ? 'c' : 's'}${gateways}p${partitions}`;
    const placement = top.cluster
      ? (await Promise.all(Array.from({ length: partitions }, async (_, p) => top.cluster!.primaryOf(await top.cluster!.slotOf(keys.events(part(`one${tag}`, p, partitions))))))).join('')
      : '0'.repeat(partitions);
    for (const s of [`one${tag}`, `hundred${tag}`, `q${tag}`]) await json(await fetch(`${urls[0]}/v1/streams/${s}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partitions }) }));
    const raw = await rawXadd(redis, `raw${tag}`, partitions);

    let cpu = redisCpu(top);
    const one = await cannon(urls, `/v1/streams/one${tag}/events`, single);
    const oneEvents = await streamLength(redis, `one${tag}`, partitions);
    const singleCpu = ((redisCpu(top) - cpu) * 1e6) / Math.max(1, oneEvents);
    cpu = redisCpu(top);
    const many = await cannon(urls, `/v1/streams/hundred${tag}/events`, hundred);
    const manyEvents = await streamLength(redis, `hundred${tag}`, partitions);
    const batchCpu = ((redisCpu(top) - cpu) * 1e6) / Math.max(1, manyEvents);

    // Query catch-up: QUERY_EVENTS pre-ingested events, then a GROUP BY over 1,000 keys from the start.
    for (let i = 0; i < QUERY_EVENTS; i += 1000) {
      await json(await fetch(`${urls[0]}/v1/streams/q${tag}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Array.from({ length: 1000 }, (_, j) => event(i + j))) }));
    }
    cpu = redisCpu(top);
    const started = Date.now();
    const q = await json<{ id: string }>(await fetch(`${urls[0]}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: `SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM q${tag} GROUP BY k`, start: 'earliest' }) }));
    for (;;) {
      const status = await json<{ processed: number; lag: number }>(await fetch(`${urls[0]}/v1/queries/${q.id}`));
      if (status.processed >= QUERY_EVENTS && status.lag === 0) break;
      if (Date.now() - started > 120_000) throw new Error(`query ${q.id} did not catch up: ${JSON.stringify(status)}`);
      await sleep(50);
    }
    const queryRate = QUERY_EVENTS / ((Date.now() - started) / 1000);
    const queryCpu = ((redisCpu(top) - cpu) * 1e6) / QUERY_EVENTS;
    return {
      topology: top.name, gateways, partitions, placement, raw,
      single: oneEvents / SECONDS, singleCpu, batch: manyEvents / SECONDS, batchCpu,
      query: queryRate, queryCpu, non2xx: one.non2xx + many.non2xx,
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
}

/** A steady load of 10-event POSTs through one gateway while `disrupt` runs: latencies and answers. */
async function underLoad(url: string, stream: string, disrupt: () => Promise<void>): Promise<{ ms: number; p99: number; statuses: Record<number, number> }> {
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let running = true;
  const body = JSON.stringify(Array.from({ length: 10 }, (_, i) => event(i)));
  const posters = Array.from({ length: 4 }, async () => {
    while (running) {
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/streams/${stream}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(() => undefined);
      latencies.push(performance.now() - t0);
      const code = res?.status ?? 0;
      statuses[code] = (statuses[code] ?? 0) + 1;
      await res?.arrayBuffer();
    }
  });
  await sleep(1_000);
  const started = Date.now();
  await disrupt();
  const ms = Date.now() - started;
  await sleep(1_000);
  running = false;
  await Promise.all(posters);
  latencies.sort((a, b) => a - b);
  return { ms, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, statuses };
}

async function disruption(dir: string): Promise<void> {
  const top = await cluster3(join(dir, 'ha'), 1);
  const children: ChildProcess[] = [];
  try {
    const gw = await startBenchGateway(top.url, { LEASE_TTL: '2s', BLOCK_TIME: '50ms' });
    children.push(gw.child);
    const cluster = top.cluster!;
    await json(await fetch(`${gw.url}/v1/streams/ha`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partitions: 2 }) }));
    await json(await fetch(`${gw.url}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT k, COUNT(*) AS n FROM ha GROUP BY k' }) }));
    const slot = await cluster.slotOf(keys.events(part('ha', 0, 2)));
    const migration = await underLoad(gw.url, 'ha', async () => {
      const from = await cluster.primaryOf(slot);
      await cluster.migrateSlot(slot, (from + 1) % 3, { batch: 10 });
    });
    console.log(`slot migration of a busy partition (slot ${slot}, events + idempotency + query keys): ${migration.ms} ms; ingest p99 ${migration.p99.toFixed(1)} ms; answers ${JSON.stringify(migration.statuses)}`);
    const failover = await underLoad(gw.url, 'ha', async () => {
      const victim = await cluster.primaryOf(slot);
      await cluster.kill(victim);
      for (;;) {
        if ((await cluster.primaryOf(slot).catch(() => victim)) !== victim) break;
        await sleep(20);
      }
      await cluster.restart(victim);
      await cluster.waitHealthy();
    });
    console.log(`primary failover (SIGKILL, cluster-node-timeout 1 s, replica promoted, old primary back as replica): ${failover.ms} ms; ingest p99 ${failover.p99.toFixed(1)} ms; answers ${JSON.stringify(failover.statuses)}`);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await top.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-cluster-'));
  const rows: Row[] = [];
  try {
    for (const make of [single1, cluster3]) {
      const top = await make(join(dir, make.name));
      const redis = await connectRedis({ url: top.url, log });
      try {
        for (const gateways of GATEWAYS) {
          for (const partitions of PARTITIONS) {
            const row = await measure(top, gateways, partitions, redis);
            rows.push(row);
            console.log(`${row.topology}, ${gateways} gateway(s), P=${partitions} (primaries: ${row.placement}): raw XADD ${fmt(row.raw)}/s; single POSTs ${fmt(row.single)} ev/s (${row.singleCpu.toFixed(1)} µs Redis CPU/ev); 100-event POSTs ${fmt(row.batch)} ev/s (${row.batchCpu.toFixed(1)} µs/ev); query catch-up ${fmt(row.query)} ev/s (${row.queryCpu.toFixed(1)} µs/ev); non-2xx ${row.non2xx}`);
          }
        }
      } finally {
        await redis.close();
        await top.stop();
      }
    }
    console.log('\n| Redis | gateways | P | primaries used | raw XADD ev/s | single POST ev/s | µs Redis CPU/ev | 100-event POST ev/s | µs/ev | batches / raw | query catch-up ev/s | µs/ev |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.topology} | ${r.gateways} | ${r.partitions} | ${new Set(r.placement).size} | ${fmt(r.raw)} | ${fmt(r.single)} | ${r.singleCpu.toFixed(1)} | ${fmt(r.batch)} | ${r.batchCpu.toFixed(1)} | ${(r.batch / r.raw).toFixed(2)} | ${fmt(r.query)} | ${r.queryCpu.toFixed(1)} |`);
    }
    await disruption(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
