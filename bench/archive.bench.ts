// npm run bench:archive — the Parquet archive: (1) writers compared on the same 100,000 entries
// (hyparquet-writer, which the archiver uses, against DuckDB's COPY … TO parquet through
// @duckdb/node-api): MB/s of event JSON, events/s, file size, RSS growth; (2) the cost of archiving
// to ingest: events/s of 100-event POSTs with archiving on and off, in the same run, with the
// requests' p99 latency and the longest event-loop stall (the encoder runs in a worker thread, so a
// file no longer blocks the loop for its length).
import autocannon from 'autocannon';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalRedis } from '../src/redis/local-server.js';
import { connectRedis } from '../src/redis/client.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { encodeEntries, writeDurably, type ArchivedEntry } from '../src/archive/parquet-file.js';

const N = Number(process.env.BENCH_ENTRIES ?? 100_000);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 8);
const BATCH = 100;

const event = (i: number) => ({ region: ['eu', 'us', 'ap'][i % 3], user: `u${i % 1000}`, amount: (i % 97) + 0.5, qty: i % 7, ts: 1767225600000 + i });

function entries(): ArchivedEntry[] {
  const base = 1767225600000;
  return Array.from({ length: N }, (_, i) => ({ id: `${base + Math.floor(i / 10)}-${i % 10}`, message: { e: JSON.stringify(event(i)), t: String(base + i), a: String(base + Math.floor(i / 10)) } }));
}

async function measure(name: string, file: string, bytes: number, fn: () => Promise<void>): Promise<void> {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${name.padEnd(28)} ${(bytes / 1e6 / (ms / 1000)).toFixed(1).padStart(6)} MB/s  ${Math.round((N / ms) * 1000).toLocaleString('en').padStart(9)} events/s  file ${(statSync(file).size / 1e6).toFixed(2)} MB  RSS +${Math.round((peak - rss0) / 1e6)} MB`);
}

async function writers(dir: string): Promise<void> {
  const list = entries();
  const bytes = list.reduce((s, e) => s + e.message.e!.length, 0);
  console.log(`writing ${N.toLocaleString('en')} entries (${(bytes / 1e6).toFixed(1)} MB of event JSON), best of 3:`);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  for (let round = 0; round < 3; round++) {
    const h = join(dir, `h${round}.parquet`);
    await measure('hyparquet-writer (+fsync)', h, bytes, () => writeDurably(h, encodeEntries(list, 0)));
    const d = join(dir, `d${round}.parquet`);
    await measure('duckdb appender + COPY', d, bytes, async () => {
      await conn.run('CREATE OR REPLACE TABLE t (id VARCHAR, t BIGINT, a BIGINT, event VARCHAR, p INTEGER)');
      const app = await conn.createAppender('t');
      for (const e of list) {
        app.appendVarchar(e.id);
        app.appendBigInt(BigInt(e.message.t!));
        app.appendBigInt(BigInt(e.message.a!));
        app.appendVarchar(e.message.e!);
        app.appendInteger(0);
        app.endRow();
      }
      app.closeSync();
      await conn.run(`COPY (SELECT id, epoch_ms(t) AS event_time, epoch_ms(a) AS arrival_time, event, p AS partition FROM t) TO '${d}' (FORMAT parquet)`);
    });
  }
  conn.closeSync();
  instance.closeSync();
}

async function ingestRate(redisUrl: string, dir: string, archive: boolean, stream: string): Promise<{ rate: number; p99: number; stallMs: number }> {
  const log = pino({ level: 'silent' });
  const config = loadConfig({ REDIS_URL: redisUrl, LOG_LEVEL: 'silent', ROLE: 'api', RETENTION_INTERVAL: '200ms', ...(archive ? { ARCHIVE_DIR: join(dir, 'archive') } : {}) });
  const redis = await connectRedis({ url: redisUrl, log, nodeAddressMap: {}, waitReplicas: 0 });
  const app = await buildApp({ config, redis, ownsRedis: true, logger: log });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    await app.inject({ method: 'PUT', url: `/v1/streams/${stream}`, payload: { archive, retention: { maxLength: 10_000 } } });
    const body = JSON.stringify(Array.from({ length: BATCH }, (_, i) => event(i)));
    const address = app.server.address() as { port: number };
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const r = await autocannon({ url: `http://127.0.0.1:${address.port}/v1/streams/${stream}/events`, method: 'POST', body, headers: { 'content-type': 'application/json' }, connections: 16, duration: DURATION_S });
    if (r.non2xx > 0) throw new Error(`${r.non2xx} requests failed`);
    loop.disable();
    return { rate: r.requests.average * BATCH, p99: r.latency.p99, stallMs: loop.max / 1e6 };
  } finally {
    await app.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-archive-'));
  const server = new LocalRedis({ dir: join(dir, 'redis'), persistence: false });
  try {
    await writers(dir);
    await server.start();
    // Retention keeps 10,000 entries: past that every pass archives (on) or only trims (off) what ingest added.
    const off = await ingestRate(server.url, dir, false, 'off');
    const on = await ingestRate(server.url, dir, true, 'on');
    const show = (r: { rate: number; p99: number; stallMs: number }) => `${Math.round(r.rate).toLocaleString('en')} events/s (p99 ${r.p99} ms, longest loop stall ${Math.round(r.stallMs)} ms)`;
    console.log(`ingest, 100-event POSTs, 16 connections, ${DURATION_S} s each: archive off ${show(off)}, on ${show(on)}, on/off ${(on.rate / off.rate).toFixed(2)}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
