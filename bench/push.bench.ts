// npm run bench:push — end-to-end latency from POST to WebSocket frame (p50/p99) at 1k and 5k events/s
// with one subscriber, and with 1,000 subscribers on one query; the gateway runs as its own process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { LocalRedis } from '../src/redis/local-server.js';
import { startBenchGateway } from './helpers/gateway.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const KEYS = 100;
const SQL = 'SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY k';
/** Subscribers whose frames are parsed and timed; the others only receive (as real clients would). */
const SAMPLED = 20;
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const now = () => performance.now();


/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

async function scenario(url: string, pid: number, rate: number, subscribers: number) {
  const created = await fetch(`${url}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: SQL }) });
  const { id } = (await created.json()) as { id: string };
  for (;;) {
    const q = (await (await fetch(`${url}/v1/queries/${id}`)).json()) as { partitionStatus: { owner: string | null }[] };
    if (q.partitionStatus[0]?.owner) break;
    await sleep(50);
  }
  // postedAt[k][i]: when the (i+1)-th event of key k was posted; a row with n = i+1 includes it.
  const postedAt: number[][] = Array.from({ length: KEYS }, () => []);
  const latencies: number[] = [];
  let frames = 0;
  const sockets: WebSocket[] = [];
  const wsUrl = `${url.replace('http', 'ws')}/v1/queries/${id}/subscribe?batch=true`;
  for (let i = 0; i < subscribers; i++) {
    const ws = new WebSocket(wsUrl);
    const timed = i < SAMPLED;
    ws.on('message', (data: Buffer) => {
      frames++;
      if (!timed) return;
      const t = now();
      const parsed = JSON.parse(data.toString()) as { type: string; row?: { k: number; n: number } } | { type: string; row?: { k: number; n: number } }[];
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.type !== 'change' || !m.row) continue;
        const at = postedAt[m.row.k]?.[m.row.n - 1];
        if (at !== undefined) latencies.push(t - at);
      }
    });
    sockets.push(ws);
    await new Promise((ok, fail) => {
      ws.once('open', ok);
      ws.once('error', fail);
    });
  }
  await sleep(300);
  const cpu0 = cpuSeconds(pid);
  const start = now();
  let sent = 0;
  let seq = 0;
  while (now() - start < SECONDS * 1000) {
    const due = Math.floor(((now() - start) / 1000) * rate) - sent;
    if (due > 0) {
      const events = Array.from({ length: due }, () => ({ k: seq++ % KEYS, amount: 1 }));
      const t = now();
      for (const e of events) postedAt[e.k]!.push(t);
      const res = await fetch(`${url}/v1/streams/s/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
      if (res.status !== 201) throw new Error(`POST ${res.status}`);
      sent += due;
    }
    await sleep(2);
  }
  await sleep(500);
  const cpu = (cpuSeconds(pid) - cpu0) / ((now() - start) / 1000);
  for (const ws of sockets) ws.terminate();
  await fetch(`${url}/v1/queries/${id}`, { method: 'DELETE' });
  const sorted = latencies.sort((a, b) => a - b);
  return { rate, subscribers, events: sent, frames, samples: sorted.length, p50: pct(sorted, 50), p99: pct(sorted, 99), max: sorted.at(-1) ?? NaN, gatewayCpu: cpu };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-push-'));
  const redis = new LocalRedis({ dir, persistence: false });
  await redis.start();
  const gw = await startBenchGateway(redis.url, { WS_MAX_SUBSCRIPTIONS_PER_KEY: '5000' });
  try {
    console.log(`push latency, POST → WebSocket frame; ${SECONDS} s per run; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log('events/s  subscribers  events   frames    p50 ms  p99 ms  max ms  gateway CPU (cores)');
    for (const [rate, subs] of [[1000, 1], [5000, 1], [1000, 1000], [5000, 1000]] as const) {
      const r = await scenario(gw.url, gw.child.pid!, rate, subs);
      console.log(
        `${String(r.rate).padStart(8)}  ${String(r.subscribers).padStart(11)}  ${String(r.events).padStart(6)}  ${String(r.frames).padStart(7)}  ${r.p50.toFixed(1).padStart(8)}  ${r.p99.toFixed(1).padStart(6)}  ${r.max.toFixed(1).padStart(6)}  ${r.gatewayCpu.toFixed(2).padStart(6)}`,
      );
    }
    console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    gw.child.kill('SIGTERM');
    await new Promise((ok) => gw.child.once('exit', ok));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
