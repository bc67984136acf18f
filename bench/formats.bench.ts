// npm run bench:formats — events/s of 100-event batches as JSON, CSV, MessagePack and Protobuf
// over HTTP POST, and as JSON messages over the WebSocket ingest endpoint; each as a ratio of the
// JSON POST measured in the same run (this machine's load moves all of them together).
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { encode } from '@msgpack/msgpack';
import protobuf from 'protobufjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalRedis } from '../src/redis/local-server.js';
import { connectRedis } from '../src/redis/client.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { WS_INGEST_MAX_INFLIGHT } from '../src/ingest/ws-ingest.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BATCH = 100;

const event = (i: number) => ({ region: i % 2 ? 'eu' : 'us', user: `u${i % 1000}`, amount: (i % 97) + 0.5, ts: 1767225600000 + i });
const events = Array.from({ length: BATCH }, (_, i) => event(i));
const PROTO = 'syntax = "proto3"; package bench; message Event { string region = 1; string user = 2; double amount = 3; int64 ts = 4; }';
const Event = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('bench.Event');

const bodies: { name: string; type: string; body: string | Buffer }[] = [
  { name: 'JSON', type: 'application/json', body: JSON.stringify(events) },
  { name: 'NDJSON', type: 'application/x-ndjson', body: events.map((e) => JSON.stringify(e)).join('\n') },
  { name: 'CSV', type: 'text/csv', body: 'region,user,amount,ts\n' + events.map((e) => `${e.region},${e.user},${e.amount},${e.ts}`).join('\n') + '\n' },
  { name: 'MessagePack', type: 'application/msgpack', body: Buffer.from(encode(events)) },
  { name: 'Protobuf (delimited)', type: 'application/x-protobuf; delimited=true', body: Buffer.concat(events.map((e) => Buffer.from(Event.encodeDelimited(Event.fromObject(e)).finish()))) },
];

async function cannon(url: string, type: string, body: string | Buffer, idempotent = false): Promise<{ rps: number; p99: number; non2xx: number }> {
  let n = 0;
  const r = await autocannon({
    url,
    method: 'POST',
    body,
    headers: { 'content-type': type },
    connections: CONNECTIONS,
    duration: DURATION_S,
    ...(idempotent ? { setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, 'idempotency-key': `bench-${process.pid}-${n++}` } }) } : {}),
  });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx };
}

/** CONNECTIONS sockets, each keeping up to the in-flight limit of 100-event messages unanswered. */
async function socketRun(url: string): Promise<{ eventsPerSecond: number; errors: number }> {
  const text = (id: string) => `{"id":"${id}","events":${JSON.stringify(events)}}`;
  let acked = 0;
  let errors = 0;
  const end = Date.now() + DURATION_S * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, (_, c) =>
      new Promise<void>((done, fail) => {
        const ws = new WebSocket(url);
        let sent = 0;
        let answered = 0;
        const top = () => {
          while (sent - answered < WS_INGEST_MAX_INFLIGHT && Date.now() < end) ws.send(text(`b${process.pid}-${c}-${sent++}`));
          if (answered === sent && Date.now() >= end) ws.close();
        };
        ws.on('open', top);
        ws.on('message', (d: Buffer) => {
          answered++;
          if (d.toString().startsWith('{"type":"ack"')) acked += BATCH;
          else errors++;
          top();
        });
        ws.on('close', () => done());
        ws.on('error', fail);
      }),
    ),
  );
  return { eventsPerSecond: acked / ((Date.now() - started) / 1000), errors };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const server = new LocalRedis({ dir, persistence: false });
  await server.start();
  const log = pino({ level: 'silent' });
  try {
    const config = loadConfig({ REDIS_URL: server.url, LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0' });
    const redis = await connectRedis({ url: server.url, log });
    const app = await buildApp({ config, redis, ownsRedis: true, logger: log });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(`formats benchmark: ${DURATION_S}s per run, ${CONNECTIONS} connections, ${BATCH}-event batches, Redis without persistence`);
    let json = 0;
    for (const [i, b] of bodies.entries()) {
      const stream = `bench-${i}`;
      if (b.type.startsWith('application/x-protobuf')) await app.inject({ method: 'PUT', url: `/v1/streams/${stream}`, payload: { protobuf: { proto: PROTO, message: 'bench.Event' } } });
      const r = await cannon(`${base}/v1/streams/${stream}/events`, b.type, b.body);
      const rate = r.rps * BATCH;
      if (i === 0) json = rate;
      console.log(`HTTP POST ${b.name.padEnd(22)} ${fmt(rate).padStart(9)} events/s  ratio ${(rate / json).toFixed(2)}  (p99 ${r.p99} ms, non-2xx ${r.non2xx}, ${Buffer.byteLength(b.body)} bytes/batch)`);
    }
    const idem = await cannon(`${base}/v1/streams/bench-idem/events`, 'application/json', bodies[0]!.body, true);
    console.log(`HTTP POST JSON + Idempotency-Key ${fmt(idem.rps * BATCH).padStart(9)} events/s  ratio ${((idem.rps * BATCH) / json).toFixed(2)}  (p99 ${idem.p99} ms, non-2xx ${idem.non2xx})`);
    const ws = await socketRun(`${base.replace('http', 'ws')}/v1/streams/bench-ws/ingest`);
    console.log(`WebSocket ingest (JSON, id = key)   ${fmt(ws.eventsPerSecond).padStart(9)} events/s  ratio ${(ws.eventsPerSecond / json).toFixed(2)}  (${WS_INGEST_MAX_INFLIGHT} messages in flight per socket, errors ${ws.errors})`);
    await app.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
