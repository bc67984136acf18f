// npm run bench:runtime — continuous-query catch-up throughput beside a raw consumer-group loop
// run in this same process (the ceiling), commit_batch latency, and 10 queries on one stream.
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalRedis } from '../src/redis/local-server.js';
import { connectRedis, type Redis } from '../src/redis/client.js';
import { keys } from '../src/redis/keys.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { compileQuery } from '../src/sql/compile.js';
import { createEngine } from '../src/engine/index.js';
import type { SourceEvent } from '../src/engine/index.js';
import { acquireLease, releaseLease } from '../src/runtime/leases.js';
import { commitBatch } from '../src/redis/functions/commit-batch.js';
import { part } from '../test/helpers/partitions.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const MULTI_EVENTS = Math.floor(EVENTS / 5);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 2000);
const COMMITS = Number(process.env.BENCH_COMMITS ?? 1000);
const RAW_COUNT = 1000;
const POLL_MS = 50;
/** A query whose `processed` does not move for this long is reported as stuck. */
const STALL_MS = 60_000;
const BASE = 1767225600000;
const MAIN_SQL = 'SELECT region, COUNT(*) AS n, SUM(amount) AS total, AVG(amount) AS mean FROM bench GROUP BY region';

const event = (i: number) => ({ region: 'r' + (i % 50), user: 'u' + (i % 10000), amount: (i % 97) + 0.5, ts: BASE + i });
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

interface Entry {
  id: string;
  message: Record<string, string>;
}

interface QueryStatus {
  status: string;
  error?: string;
  lag: number;
  processed: number;
  lastCheckpointAt: string | null;
}

/** Writes n entries in our ingest's format (e, t, a) with pipelined XADDs; returns entries/s. */
async function preIngest(redis: Redis, stream: string, n: number): Promise<number> {
  const key = keys.events(part(stream, 0));
  const CHUNK = 1000;
  let next = 0;
  const start = nowMs();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < n) {
        const from = next;
        const to = Math.min(n, from + CHUNK);
        next = to;
        const a = String(Date.now());
        const m = redis.multi();
        for (let i = from; i < to; i++) m.xAdd(key, '*', { e: JSON.stringify(event(i)), t: String(BASE + i * 10), a });
        await m.execAsPipeline();
      }
    }),
  );
  const len = await redis.xLen(key);
  if (len !== n) throw new Error(`pre-ingest wrote ${len} entries to ${key}, expected ${n}`);
  return n / ((nowMs() - start) / 1000);
}

/** The ceiling: one consumer, XREADGROUP COUNT 1000, JSON.parse of every `e`, XACK of the batch. */
async function rawCeiling(redis: Redis, stream: string, n: number): Promise<number> {
  const key = keys.events(part(stream, 0));
  const conn = redis.duplicate();
  conn.on('error', () => {});
  await conn.connect();
  await conn.xGroupCreate(key, 'raw', '0');
  let consumed = 0;
  let check = 0;
  const start = nowMs();
  while (consumed < n) {
    const r = await conn.xReadGroup('raw', 'c1', { key, id: '>' }, { COUNT: RAW_COUNT });
    const msgs = (r?.[0]?.messages ?? []) as Entry[];
    if (msgs.length === 0) throw new Error(`raw loop ran dry after ${consumed} of ${n} entries`);
    for (const m of msgs) check += (JSON.parse(m.message.e!) as { amount: number }).amount;
    await conn.xAck(key, 'raw', msgs.map((m) => m.id));
    consumed += msgs.length;
  }
  const rate = consumed / ((nowMs() - start) / 1000);
  if (!(check > 0)) throw new Error('raw loop parsed nothing');
  await conn.xGroupDestroy(key, 'raw');
  await conn.close();
  return rate;
}

async function register(app: FastifyInstance, sql: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql, start: 'earliest' } });
  if (res.statusCode !== 201) throw new Error(`registering "${sql}" failed: ${res.statusCode} ${res.body}`);
  return res.json<{ id: string }>().id;
}

async function status(app: FastifyInstance, id: string): Promise<QueryStatus> {
  const res = await app.inject({ method: 'GET', url: `/v1/queries/${id}` });
  if (res.statusCode !== 200) throw new Error(`GET /v1/queries/${id}: ${res.statusCode} ${res.body}`);
  return res.json<QueryStatus>();
}

/**
 * Polls every query until lag is 0 and processed equals `expected`. Returns, per query, the
 * time of its last commit (lastCheckpointAt, epoch ms): the moment it caught up.
 */
async function waitCaughtUp(app: FastifyInstance, ids: string[], expected: number): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  const progress = new Map<string, { processed: number; at: number }>();
  while (done.size < ids.length) {
    for (const id of ids) {
      if (done.has(id)) continue;
      const s = await status(app, id);
      if (s.status === 'failed') throw new Error(`query ${id} failed: ${s.error ?? '(no error)'}`);
      if (s.lag === 0 && s.processed === expected) {
        done.set(id, s.lastCheckpointAt ? Date.parse(s.lastCheckpointAt) : Date.now());
        continue;
      }
      if (s.processed > expected) throw new Error(`query ${id} processed ${s.processed} > ${expected} events`);
      const p = progress.get(id);
      if (!p || p.processed !== s.processed) progress.set(id, { processed: s.processed, at: Date.now() });
      else if (Date.now() - p.at > STALL_MS) throw new Error(`query ${id} stuck for ${STALL_MS} ms: ${JSON.stringify(s)}`);
    }
    if (done.size < ids.length) await sleep(POLL_MS);
  }
  return done;
}

interface CommitFigures {
  p50: number;
  p99: number;
  max: number;
  /** Mean changed groups (state entries set) and mean changes per commit. */
  sets: number;
  changes: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * commitBatch latency with a realistic delta: a real group read of `ackCount` entries, applied
 * by the real engine for the main query (50 changed groups, 50 changes), acked in the commit.
 */
async function commitLatency(redis: Redis, stream: string, ackCount: number, commits: number): Promise<CommitFigures> {
  const queryId = `q_commitbench${ackCount}`;
  const source = keys.events(part(stream, 0));
  const k = keys.task(part(stream, 0), queryId);
  const owner = 'bench-commit';
  const { epoch } = await acquireLease(redis, k, source, queryId, owner, 10 * 60_000);
  if (epoch <= 0) throw new Error('could not acquire the commit-bench lease');
  await redis.xGroupCreate(source, queryId, '0');
  const engine = createEngine(compileQuery(MAIN_SQL).plan, { emit: 'changes', latenessMs: 0 });
  const read = async (): Promise<Entry[]> => {
    const r = await redis.xReadGroup(queryId, owner, { key: source, id: '>' }, { COUNT: ackCount });
    return (r?.[0]?.messages ?? []) as Entry[];
  };
  const WARMUP = 20;
  const times: number[] = [];
  let sets = 0;
  let changes = 0;
  for (let i = 0; i < WARMUP + commits; i++) {
    let entries = await read();
    if (entries.length < ackCount) {
      // The stream is shorter than commits × ackCount: start the group over.
      if (entries.length > 0) await redis.xAck(source, queryId, entries.map((e) => e.id));
      await redis.xGroupSetId(source, queryId, '0');
      entries = await read();
    }
    const events: SourceEvent[] = entries.map((e) => ({ id: e.id, ts: Number(e.message.t), data: JSON.parse(e.message.e!) as Record<string, unknown> }));
    const result = engine.apply(events);
    const delta = engine.takeDelta();
    const start = nowMs();
    await commitBatch(redis, k, source, {
      owner,
      epoch,
      group: queryId,
      offset: entries[entries.length - 1]!.id,
      processed: entries.length,
      delta,
      ack: entries.map((e) => e.id),
      result,
      dead: [],
      nowMs: Date.now(),
      resultRetentionMs: 24 * 3600_000,
      changesMaxLength: 100_000,
      watermark: engine.watermark,
    });
    if (i >= WARMUP) {
      times.push(nowMs() - start);
      sets += Object.keys(delta.set).length;
      changes += result.changes.length;
    }
  }
  await releaseLease(redis, k, owner, epoch);
  await redis.xGroupDestroy(source, queryId);
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1]!, sets: sets / commits, changes: changes / commits };
}

const MULTI_SQL = [
  'SELECT region, COUNT(*) AS n, SUM(amount) AS total, AVG(amount) AS mean FROM multi GROUP BY region',
  'SELECT user, COUNT(*) AS n FROM multi GROUP BY user',
  'SELECT region, MIN(amount) AS lo, MAX(amount) AS hi FROM multi GROUP BY region',
  'SELECT region, COUNT(DISTINCT user) AS users FROM multi GROUP BY region',
  'SELECT region, user, COUNT(*) AS n, SUM(amount) AS total FROM multi GROUP BY region, user',
  'SELECT amount, COUNT(*) AS n FROM multi GROUP BY amount',
  "SELECT region, window_start, COUNT(*) AS n, AVG(amount) AS mean FROM multi GROUP BY region, TUMBLE(ts, INTERVAL '1' MINUTE)",
  'SELECT region, APPROX_COUNT_DISTINCT(user) AS users FROM multi GROUP BY region',
  'SELECT region, APPROX_PERCENTILE(amount, 0.99) AS p99 FROM multi GROUP BY region',
  'SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM multi WHERE amount > 50 GROUP BY region',
];

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const server = new LocalRedis({ dir, persistence: false });
  await server.start();
  const log = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' });
  let app: FastifyInstance | undefined;
  let redis: Redis | undefined;
  try {
    redis = await connectRedis({ url: server.url, log, name: 'bench' });
    const ingestRate = await preIngest(redis, 'bench', EVENTS);
    const rawRate = await rawCeiling(redis, 'bench', EVENTS);

    // The gateway: the real app; the coordinator starts on ready.
    const config = loadConfig({ REDIS_URL: server.url, LOG_LEVEL: 'silent', REGISTRY_POLL: '100ms', BLOCK_TIME: '100ms', BATCH_SIZE: String(BATCH_SIZE) });
    const appRedis = await connectRedis({ url: server.url, log });
    app = await buildApp({ config, redis: appRedis, ownsRedis: true, logger: log });
    await app.ready();

    const t0 = Date.now();
    const mainId = await register(app, MAIN_SQL);
    const caughtUpAt = (await waitCaughtUp(app, [mainId], EVENTS)).get(mainId)!;
    const catchUpS = (caughtUpAt - t0) / 1000;
    const catchUpRate = EVENTS / catchUpS;
    const res = await app.inject({ method: 'GET', url: `/v1/queries/${mainId}/results` });
    const rows = res.json<{ rows: { region: string; n: number; total: number }[] }>().rows;
    const sumN = rows.reduce((s, r) => s + r.n, 0);
    const sumTotal = rows.reduce((s, r) => s + r.total, 0);
    let expectedTotal = 0;
    for (let i = 0; i < EVENTS; i++) expectedTotal += event(i).amount;
    const resultsOk = rows.length === 50 && sumN === EVENTS && Math.abs(sumTotal - expectedTotal) <= 1e-9 * expectedTotal;

    // commit_batch latency, timed around our own calls (ESM bindings cannot be wrapped).
    const commit1000 = await commitLatency(redis, 'bench', 1000, COMMITS);
    const commitBatchSize = BATCH_SIZE === 1000 ? undefined : await commitLatency(redis, 'bench', BATCH_SIZE, COMMITS);

    // 10 queries over one fresh stream.
    await preIngest(redis, 'multi', MULTI_EVENTS);
    const starts = new Map<string, number>();
    const ids: string[] = [];
    const multiT0 = Date.now();
    for (const sql of MULTI_SQL) {
      const at = Date.now();
      const id = await register(app, sql);
      starts.set(id, at);
      ids.push(id);
    }
    const doneAt = await waitCaughtUp(app, ids, MULTI_EVENTS);
    const multiS = (Math.max(...doneAt.values()) - multiT0) / 1000;
    const perQuery = ids.map((id, i) => ({ sql: MULTI_SQL[i]!, s: (doneAt.get(id)! - starts.get(id)!) / 1000 }));

    console.log(`runtime benchmark: ${fmt(EVENTS)} events in one partition, BATCH_SIZE ${BATCH_SIZE}, 2-core machine, Redis without persistence`);
    console.log(`pre-ingest (XADD pipelines, 1000/pipeline, 4 in flight): ${fmt(ingestRate)} entries/s`);
    console.log(`baseline raw XREADGROUP ${RAW_COUNT} + JSON.parse + XACK:     ${fmt(rawRate)} entries/s`);
    console.log(`gateway catch-up, GROUP BY region (4 aggregates):    ${fmt(catchUpRate)} events/s (${catchUpS.toFixed(2)} s from registration to caught up)`);
    console.log(`ratio catch-up / raw ceiling:                        ${(catchUpRate / rawRate).toFixed(2)} (target >= 0.5)`);
    console.log(`results check: ${rows.length} rows, sum(n) = ${fmt(sumN)} (expected ${fmt(EVENTS)}), sum(total) = ${sumTotal} (expected ${expectedTotal}): ${resultsOk ? 'OK' : 'MISMATCH'}`);
    const commitLine = (acks: number, c: CommitFigures) =>
      `commit_batch latency, ${acks} acks + ${c.sets.toFixed(0)} groups + ${c.changes.toFixed(0)} changes: p50 ${c.p50.toFixed(2)} ms, p99 ${c.p99.toFixed(2)} ms, max ${c.max.toFixed(2)} ms (${COMMITS} commits)`;
    console.log(commitLine(1000, commit1000));
    if (commitBatchSize) console.log(commitLine(BATCH_SIZE, commitBatchSize));
    console.log(`10 queries on one stream of ${fmt(MULTI_EVENTS)} events: ${fmt((ids.length * MULTI_EVENTS) / multiS)} events/s in total (${multiS.toFixed(2)} s until all caught up), ${fmt(MULTI_EVENTS / multiS)} events/s per query on average`);
    for (const q of perQuery) console.log(`  ${fmt(MULTI_EVENTS / q.s).padStart(9)} events/s (${q.s.toFixed(2)} s)  ${q.sql}`);
    console.log(`ratio 10-query total / single-query catch-up:        ${((ids.length * MULTI_EVENTS) / multiS / catchUpRate).toFixed(2)}`);
    if (!resultsOk) process.exitCode = 1;
  } finally {
    await app?.close();
    await redis?.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
