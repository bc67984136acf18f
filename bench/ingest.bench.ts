// npm run bench:ingest — ingest throughput beside two baselines run in this same process:
// a raw node-redis pipeline of XADDs of the same payloads, and an empty Fastify POST route.
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalRedis } from '../src/redis/local-server.js';
import { connectRedis } from '../src/redis/client.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
// Both levels by default: grouping concurrent requests per Redis call pays off as concurrency grows.
const LEVELS = process.env.BENCH_CONNECTIONS ? [Number(process.env.BENCH_CONNECTIONS)] : [10, 32];
const BATCH = 100;

const event = (i: number) => ({ region: i % 2 ? 'eu' : 'us', user: `u${i % 1000}`, amount: (i % 97) + 0.5, ts: 1767225600000 + i });
const single = JSON.stringify(event(1));
const batch = JSON.stringify(Array.from({ length: BATCH }, (_, i) => event(i)));

async function cannon(url: string, body: string, connections: number): Promise<{ rps: number; p99: number; non2xx: number }> {
  const r = await autocannon({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections, duration: DURATION_S });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const server = new LocalRedis({ dir, persistence: false });
  await server.start();
  const log = pino({ level: 'silent' });
  try {
    for (const CONNECTIONS of LEVELS) {
      // Baseline 1: raw XADD pipelines, 100 entries each, CONNECTIONS pipelines in flight.
      const raw = await connectRedis({ url: server.url, log });
      const entries = Array.from({ length: BATCH }, (_, i) => ({ e: JSON.stringify(event(i)), t: String(1767225600000 + i), a: String(Date.now()) }));
      let rawEvents = 0;
      const end = Date.now() + DURATION_S * 1000;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (Date.now() < end) {
            const m = raw.multi();
            for (const f of entries) m.xAdd('bench:raw', '*', f);
            await m.execAsPipeline();
            rawEvents += BATCH;
          }
        }),
      );
      const rawRate = rawEvents / DURATION_S;
      await raw.del('bench:raw');
      await raw.close();

      // Baseline 2: an empty Fastify POST route with the same JSON body parsing.
      const empty = Fastify({ logger: false });
      empty.post('/empty', async (_req, reply) => reply.code(201).send({ ids: [] }));
      await empty.listen({ port: 0, host: '127.0.0.1' });
      const emptyPort = (empty.server.address() as { port: number }).port;
      const emptyRun = await cannon(`http://127.0.0.1:${emptyPort}/empty`, single, CONNECTIONS);
      await empty.close();

      // The gateway.
      const config = loadConfig({ REDIS_URL: server.url, LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0' });
      const redis = await connectRedis({ url: server.url, log });
      const app = await buildApp({ config, redis, ownsRedis: true, logger: log });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as { port: number }).port;
      const singleRun = await cannon(`http://127.0.0.1:${port}/v1/streams/bench1/events`, single, CONNECTIONS);
      const batchRun = await cannon(`http://127.0.0.1:${port}/v1/streams/bench100/events`, batch, CONNECTIONS);
      await app.close();

      const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
      console.log(`ingest benchmark: ${DURATION_S}s per run, ${CONNECTIONS} connections, 2-core machine, Redis without persistence`);
      console.log(`baseline raw XADD pipeline (100/pipeline): ${fmt(rawRate)} events/s`);
      console.log(`baseline empty Fastify POST route:         ${fmt(emptyRun.rps)} req/s (p99 ${emptyRun.p99} ms)`);
      console.log(`gateway single-event POSTs:                ${fmt(singleRun.rps)} events/s (p99 ${singleRun.p99} ms, non-2xx ${singleRun.non2xx})`);
      console.log(`gateway 100-event batches:                 ${fmt(batchRun.rps * BATCH)} events/s (${fmt(batchRun.rps)} req/s, p99 ${batchRun.p99} ms, non-2xx ${batchRun.non2xx})`);
      console.log(`ratio single POSTs / empty route:          ${(singleRun.rps / emptyRun.rps).toFixed(2)} (target >= 0.6)`);
      console.log(`ratio batches / raw XADD pipeline:         ${((batchRun.rps * BATCH) / rawRate).toFixed(2)} (target >= 0.5)`);
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
