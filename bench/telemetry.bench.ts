// npm run bench:telemetry — ingest and end-to-end throughput with tracing on (every span sampled,
// exported over OTLP/HTTP to a local receiver) against tracing off, in the same run; then where the
// cost is: the SDK with nothing sampled, and CPU per request with the gateway saturated.
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRedis, freePort } from '../src/redis/local-server.js';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const E2E_EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
/** The figure samples every span; OTEL_TRACES_SAMPLER(_ARG) shows what a sampled production setup costs. */
const SAMPLER = process.env.OTEL_TRACES_SAMPLER ?? 'always_on';
const SAMPLING = SAMPLER === 'always_on' ? 'every span sampled' : `sampler ${SAMPLER} ${process.env.OTEL_TRACES_SAMPLER_ARG ?? ''}`.trim();

/** off: no OTEL_* variables; sdk: the SDK and instrumentations running with nothing sampled; on: tracing. */
type Mode = 'off' | 'sdk' | 'on';

async function gateway(redisUrl: string, mode: Mode, receiver: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: String(port), REDIS_URL: redisUrl, LOG_LEVEL: 'warn', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' };
  if (mode !== 'off') {
    Object.assign(env, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver, OTEL_TRACES_SAMPLER: mode === 'sdk' ? 'always_off' : SAMPLER, OTEL_METRICS_EXPORTER: 'none' });
    // Batch span processor tuning and a sampler argument can be tried from the bench's own environment.
    for (const [k, v] of Object.entries(process.env)) if ((k.startsWith('OTEL_BSP_') || k === 'OTEL_TRACES_SAMPLER_ARG') && v) env[k] = v;
  }
  // Both start as `npm start` does, with the preload: "off" is the preload finding no OTEL_* variables.
  const args = ['--import', 'tsx', '--import', join(ROOT, 'src/telemetry/preload.ts'), join(ROOT, 'src/server.ts')];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {
      // still starting
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('gateway did not start');
}

/** Events/s of POSTs holding `batch` events each. */
async function ingestRate(url: string, batch: number, seconds = SECONDS): Promise<number> {
  return (await ingestRun(url, batch, seconds, 10)).rate;
}

async function ingestRun(url: string, batch: number, seconds: number, connections: number): Promise<{ rate: number; requests: number }> {
  const body = JSON.stringify(batch === 1 ? { k: 'a', v: 1 } : Array.from({ length: batch }, (_, i) => ({ k: `k${i % 10}`, v: i })));
  const r = await autocannon({ url: `${url}/v1/streams/ing/events`, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, duration: seconds });
  return { rate: r.requests.average * batch, requests: r.requests.total };
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds a process has used, all threads (Linux /proc; NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
  } catch {
    return NaN;
  }
}

/** Single-event POSTs with enough connections to saturate the gateway: requests/s and its CPU per request. */
async function saturated(gw: { url: string; child: ChildProcess }): Promise<{ rate: number; cpuUs: number }> {
  const before = cpuSeconds(gw.child.pid);
  const r = await ingestRun(gw.url, 1, SECONDS, 32);
  return { rate: r.rate, cpuUs: ((cpuSeconds(gw.child.pid) - before) * 1e6) / r.requests };
}

/** Events/s from the first POST until one query has processed them all, on a stream of its own. */
async function endToEnd(url: string, stream: string): Promise<number> {
  const q = await fetch(`${url}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: `SELECT k, COUNT(*) AS n, SUM(v) AS total FROM ${stream} GROUP BY k`, start: 'latest' }) });
  const { id } = (await q.json()) as { id: string };
  await new Promise((ok) => setTimeout(ok, 500));
  const started = Date.now();
  const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ k: `k${i % 10}`, v: i })));
  const posts: Promise<unknown>[] = [];
  for (let i = 0; i < E2E_EVENTS / 100; i++) {
    posts.push(fetch(`${url}/v1/streams/${stream}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch }).then((r) => r.arrayBuffer()));
    if (posts.length >= 8) await Promise.all(posts.splice(0));
  }
  await Promise.all(posts);
  for (;;) {
    const s = (await (await fetch(`${url}/v1/queries/${id}`)).json()) as { lag: number; processed: number };
    if (s.processed >= E2E_EVENTS && s.lag === 0) break;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  const rate = (E2E_EVENTS * 1000) / (Date.now() - started);
  await fetch(`${url}/v1/queries/${id}`, { method: 'DELETE' });
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  let spans = 0;
  const receiver = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      spans++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  // Both gateways run side by side and are measured in alternating order, ROUNDS times: the machine's
  // drift (other tenants, CPU frequency) then falls on both, and the medians are compared.
  const gateways: Record<Mode, { url: string; child: ChildProcess; redis: LocalRedis; dir: string }> = {} as never;
  for (const mode of ['off', 'sdk', 'on'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'sg-bench-otel-'));
    const redis = new LocalRedis({ dir, persistence: false });
    await redis.start();
    gateways[mode] = { ...(await gateway(redis.url, mode, receiverUrl)), redis, dir };
  }
  type Kind = 'ingest' | 'batches' | 'e2e';
  const runs: Record<'off' | 'on', Record<Kind, number[]>> = { off: { ingest: [], batches: [], e2e: [] }, on: { ingest: [], batches: [], e2e: [] } };
  const cost: Record<Mode, { rate: number; cpuUs: number }[]> = { off: [], sdk: [], on: [] };
  try {
    for (const mode of ['off', 'sdk', 'on'] as const) await ingestRate(gateways[mode].url, 1, 3); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const mode of order) runs[mode].ingest.push(await ingestRate(gateways[mode].url, 1));
      for (const mode of order) runs[mode].batches.push(await ingestRate(gateways[mode].url, 100));
      for (const mode of order) runs[mode].e2e.push(await endToEnd(gateways[mode].url, `e2e${round}`));
      const all = round % 2 === 0 ? (['off', 'sdk', 'on'] as const) : (['on', 'sdk', 'off'] as const);
      for (const mode of all) cost[mode].push(await saturated(gateways[mode]));
    }
  } finally {
    for (const gw of Object.values(gateways)) {
      gw.child.kill('SIGTERM');
      await new Promise((ok) => gw.child.once('exit', ok));
      await gw.redis.stop();
      rmSync(gw.dir, { recursive: true, force: true });
    }
  }
  receiver.close();
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const line = (kind: Kind, label: string) => {
    const off = median(runs.off[kind]);
    const on = median(runs.on[kind]);
    const perRound = runs.on[kind].map((v, i) => (v / runs.off[kind][i]!).toFixed(2)).join(' ');
    console.log(`${label.padEnd(28)} off ${fmt(off).padStart(9)}  on ${fmt(on).padStart(9)} events/s  ratio ${(on / off).toFixed(2)} (rounds: ${perRound}; target >= 0.8)`);
  };
  console.log(`telemetry benchmark: tracing on (${SAMPLING}, OTLP/HTTP to a local receiver) against off, ${ROUNDS} alternating rounds, medians;`);
  console.log(`${SECONDS}s ingest runs with 10 connections, ${fmt(E2E_EVENTS)} events end to end, 2-core machine`);
  line('ingest', 'ingest, single-event POSTs');
  line('batches', 'ingest, 100-event POSTs');
  line('e2e', 'end to end (POST to result)');
  console.log(`${spans} OTLP export requests received`);
  const off = { rate: median(cost.off.map((c) => c.rate)), cpuUs: median(cost.off.map((c) => c.cpuUs)) };
  console.log(`\nwhere the cost is: single-event POSTs, 32 connections (the gateway saturated), medians; CPU of the whole gateway process per request`);
  for (const [mode, label] of [['off', 'tracing off'], ['sdk', 'SDK running, nothing sampled'], ['on', `tracing on (${SAMPLING})`]] as const) {
    const rate = median(cost[mode].map((c) => c.rate));
    const cpuUs = median(cost[mode].map((c) => c.cpuUs));
    console.log(`${label.padEnd(40)} ${fmt(rate).padStart(7)} requests/s  ratio ${(rate / off.rate).toFixed(2)}  ${cpuUs.toFixed(1).padStart(6)} µs CPU/request (+${(cpuUs - off.cpuUs).toFixed(1)})`);
  }
}

await main();
