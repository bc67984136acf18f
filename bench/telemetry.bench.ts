// npm run bench:telemetry — ingest and end-to-end throughput with tracing on (every span sampled,
// exported over OTLP/HTTP to a local receiver) against tracing off, in the same run.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRedis, freePort } from '../src/redis/local-server.js';

const ROOT = join(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const E2E_EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
/** The figure samples every span; OTEL_TRACES_SAMPLER(_ARG) shows what a sampled production setup costs. */
const SAMPLER = process.env.OTEL_TRACES_SAMPLER ?? 'always_on';
const SAMPLING = SAMPLER === 'always_on' ? 'every span sampled' : `sampler ${SAMPLER} ${process.env.OTEL_TRACES_SAMPLER_ARG ?? ''}`.trim();

async function gateway(redisUrl: string, telemetry: boolean, receiver: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: String(port), REDIS_URL: redisUrl, LOG_LEVEL: 'warn', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' };
  if (telemetry) {
    Object.assign(env, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver, OTEL_TRACES_SAMPLER: SAMPLER, OTEL_METRICS_EXPORTER: 'none' });
    // Batch span processor tuning and a sampler argument can be tried from the bench's own environment.
    for (const [k, v] of Object.entries(process.env)) if ((k.startsWith('OTEL_BSP_') || k === 'OTEL_TRACES_SAMPLER_ARG') && v) env[k] = v;
  }
  const args = ['--import', 'tsx', ...(telemetry ? ['--import', join(ROOT, 'src/telemetry/preload.ts')] : []), join(ROOT, 'src/server.ts')];
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
async function ingestRate(url: string, batch: number): Promise<number> {
  const body = JSON.stringify(batch === 1 ? { k: 'a', v: 1 } : Array.from({ length: batch }, (_, i) => ({ k: `k${i % 10}`, v: i })));
  const r = await autocannon({ url: `${url}/v1/streams/ing/events`, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: 10, duration: SECONDS });
  return r.requests.average * batch;
}

async function endToEnd(url: string): Promise<number> {
  const q = await fetch(`${url}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT k, COUNT(*) AS n, SUM(v) AS total FROM e2e GROUP BY k', start: 'latest' }) });
  const { id } = (await q.json()) as { id: string };
  await new Promise((ok) => setTimeout(ok, 500));
  const started = Date.now();
  const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ k: `k${i % 10}`, v: i })));
  const posts: Promise<unknown>[] = [];
  for (let i = 0; i < E2E_EVENTS / 100; i++) {
    posts.push(fetch(`${url}/v1/streams/e2e/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch }).then((r) => r.arrayBuffer()));
    if (posts.length >= 8) await Promise.all(posts.splice(0));
  }
  await Promise.all(posts);
  for (;;) {
    const s = (await (await fetch(`${url}/v1/queries/${id}`)).json()) as { lag: number; processed: number };
    if (s.processed >= E2E_EVENTS && s.lag === 0) break;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return (E2E_EVENTS * 1000) / (Date.now() - started);
}

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
  const results: Record<string, { ingest: number; batches: number; e2e: number }> = {};
  for (const mode of ['off', 'on'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'sg-bench-otel-'));
    const redis = new LocalRedis({ dir, persistence: false });
    await redis.start();
    const gw = await gateway(redis.url, mode === 'on', receiverUrl);
    try {
      await ingestRate(gw.url, 1); // warm-up
      results[mode] = { ingest: await ingestRate(gw.url, 1), batches: await ingestRate(gw.url, 100), e2e: await endToEnd(gw.url) };
    } finally {
      gw.child.kill('SIGTERM');
      await new Promise((ok) => gw.child.once('exit', ok));
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  receiver.close();
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`telemetry benchmark: ${SECONDS}s ingest runs (10 connections, single events), ${fmt(E2E_EVENTS)} events end to end, 2-core machine`);
  console.log(`tracing off: ingest ${fmt(results.off!.ingest)} events/s single, ${fmt(results.off!.batches)} events/s in 100-event POSTs, end-to-end ${fmt(results.off!.e2e)} events/s`);
  console.log(`tracing on:  ingest ${fmt(results.on!.ingest)} events/s single, ${fmt(results.on!.batches)} events/s in 100-event POSTs, end-to-end ${fmt(results.on!.e2e)} events/s (${SAMPLING}; ${spans} OTLP export requests received)`);
  console.log(`ratio ingest on/off, single-event POSTs: ${(results.on!.ingest / results.off!.ingest).toFixed(2)} (target >= 0.8)`);
  console.log(`ratio ingest on/off, 100-event POSTs:    ${(results.on!.batches / results.off!.batches).toFixed(2)} (target >= 0.8)`);
  console.log(`ratio end-to-end on/off:  ${(results.on!.e2e / results.off!.e2e).toFixed(2)} (target >= 0.8)`);
}

await main();
