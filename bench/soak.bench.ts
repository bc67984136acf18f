// npm run bench:soak — legal load and every abuse class of issue 12 at once, on two gateway
// processes over one Redis, for SOAK_SECONDS (default 120). Prints requests and answers by class,
// 5xx (must be 0), the gateways' RSS at start and end, and checks that the legal query's results
// count exactly the legal events accepted.
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { LocalRedis } from '../src/redis/local-server.js';
import { startBenchGateway } from './helpers/gateway.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const K = { ingest: 'soak-ingest-key-0123456789', reader: 'soak-reader-key-0123456789', rival: 'soak-rival-key-01234567890', flood: 'soak-flood-key-012345678901', admin: 'soak-admin-key-012345678901' };
const API_KEYS = JSON.stringify([
  { name: 'shop', key: K.ingest, scopes: ['ingest'], streams: ['orders'] },
  { name: 'analyst', key: K.reader, scopes: ['query', 'subscribe'], streams: ['orders'] },
  { name: 'rival', key: K.rival, scopes: ['ingest', 'query', 'subscribe'], streams: ['rival*'] },
  { name: 'flood', key: K.flood, scopes: ['ingest', 'query', 'subscribe'], streams: ['flood'] },
  { name: 'ops', key: K.admin, scopes: ['admin'] },
]);

const counts = new Map<string, Map<number, number>>();
function count(cls: string, status: number): void {
  let m = counts.get(cls);
  if (!m) counts.set(cls, (m = new Map()));
  m.set(status, (m.get(status) ?? 0) + 1);
}

function rssMb(pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

/** One HTTP request, optionally from another loopback address (so auth-failure blocks hit only it). */
function call(base: string, method: string, path: string, opts: { key?: string; body?: string; type?: string; from?: string } = {}): Promise<{ status: number; body: string }> {
  const url = new URL(path, base);
  return new Promise((ok) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, localAddress: opts.from, headers: { ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}), ...(opts.body !== undefined ? { 'content-type': opts.type ?? 'application/json' } : {}) } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => ok({ status: 0, body: '' }));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-soak-'));
  const redis = new LocalRedis({ dir, persistence: false });
  await redis.start();
  const env = { API_KEYS, QUOTA_EVENTS_PER_SECOND: '8000', QUOTA_QUERIES_PER_KEY: '5', QUOTA_CONNECTIONS_PER_KEY: '20', WS_MAX_SUBSCRIPTIONS_PER_KEY: '20', AUTH_FAIL_MAX: '20', AUTH_FAIL_WINDOW: '10s', LEASE_TTL: '2s', BLOCK_TIME: '50ms' };
  const gateways = await Promise.all([startBenchGateway(redis.url, env), startBenchGateway(redis.url, env)]);
  const [a, b] = gateways.map((g) => g.url) as [string, string];
  const stopAll = async () => {
    for (const g of gateways) g.child.kill('SIGKILL');
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const q = JSON.parse((await call(a, 'POST', '/v1/queries', { key: K.reader, body: JSON.stringify({ sql: 'SELECT k, COUNT(*) AS n FROM orders GROUP BY k', start: 'earliest' }) })).body) as { id: string };
    const rssStart = gateways.map((g) => rssMb(g.child.pid));
    const end = Date.now() + SECONDS * 1000;
    let legalEvents = 0;
    const live = () => Date.now() < end;

    const loops: Promise<void>[] = [];
    // Legal: batches of 20 events into orders on both processes, reads of results, a live subscriber.
    for (let w = 0; w < 3; w++) {
      loops.push((async () => {
        for (let i = 0; live(); i++) {
          const r = await call(i % 2 ? a : b, 'POST', '/v1/streams/orders/events', { key: K.ingest, body: JSON.stringify(Array.from({ length: 20 }, (_, j) => ({ k: `k${(i + j) % 50}` }))) });
          count('legal ingest', r.status);
          if (r.status === 201) legalEvents += 20;
        }
      })());
    }
    loops.push((async () => {
      while (live()) {
        count('legal reads', (await call(b, 'GET', `/v1/queries/${q.id}/results?limit=100`, { key: K.reader })).status);
        await sleep(50);
      }
    })());
    const ws = new WebSocket(`${a.replace('http', 'ws')}/v1/queries/${q.id}/subscribe`, { headers: { authorization: `Bearer ${K.reader}` } });
    let pushed = 0;
    ws.on('message', () => pushed++);
    // Abuse: key guessing from 127.0.0.2 (blocked after AUTH_FAIL_MAX, without touching the others).
    loops.push((async () => {
      for (let i = 0; live(); i++) count('guessed keys', (await call(i % 2 ? a : b, 'GET', '/v1/streams', { key: `guess-${i}-0123456789abcdef`, from: '127.0.0.2' })).status);
    })());
    // Abuse: a rival tenant reaching for the shop's data.
    loops.push((async () => {
      while (live()) {
        count('cross-tenant', (await call(a, 'GET', `/v1/queries/${q.id}/results`, { key: K.rival })).status);
        count('cross-tenant', (await call(b, 'POST', '/v1/streams/orders/events', { key: K.rival, body: '{"k":"x"}' })).status);
        count('cross-tenant', (await call(a, 'POST', '/v1/queries/validate', { key: K.rival, body: JSON.stringify({ sql: 'SELECT LAST_VALUE(card) AS c FROM orders' }) })).status);
        count('cross-tenant', (await call(b, 'GET', '/v1/streams/orders', { key: K.rival })).status);
      }
    })());
    // Abuse: hostile bodies, names and SQL.
    const hostile: [string, string, string | undefined, string?][] = [
      ['POST', '/v1/streams/rival/events', '['.repeat(5000) + ']'.repeat(5000)],
      ['POST', '/v1/streams/rival/events', JSON.stringify(Array.from({ length: 60_000 }, () => ({})))],
      ['POST', '/v1/streams/rival/events', '{"__proto__":{"polluted":true}}'],
      ['POST', '/v1/streams/rival/events', '<xml/>', 'application/xml'],
      ['POST', '/v1/streams/a%7Db%7Bc/events', '{}'],
      ['POST', '/v1/queries/validate', JSON.stringify({ sql: "SELECT k, COUNT(*) AS n FROM rival GROUP BY HOP(ts, INTERVAL '1' MILLISECOND, INTERVAL '1' DAY)", events: [{ k: 'a', ts: 1 }] })],
      ['POST', '/v1/queries/validate', JSON.stringify({ sql: 'SELECT REPEAT(k, 100000000) AS r FROM rival GROUP BY k', events: [{ k: 'abcdefgh' }] })],
      ['POST', '/v1/queries/validate', JSON.stringify({ sql: "SELECT k FROM rival WHERE k LIKE '" + '%a'.repeat(1000) + "%' GROUP BY k", events: [{ k: 'a'.repeat(400_000) }] })],
      ['POST', '/v1/queries', JSON.stringify({ sql: 'SELECT k, COUNT(*) AS n FROM `a}b{c` GROUP BY k' })],
      ['GET', '/v1/queries/q_x/results?start=' + '9'.repeat(30), undefined],
    ];
    loops.push((async () => {
      for (let i = 0; live(); i++) {
        const [method, path, body, type] = hostile[i % hostile.length]!;
        count('hostile input', (await call(i % 2 ? a : b, method, path, { key: K.rival, ...(body !== undefined ? { body, type } : {}) })).status);
      }
    })());
    // Abuse: one key over its quotas (events per second, queries, connections).
    loops.push((async () => {
      for (let i = 0; live(); i++) {
        count('quota: ingest rate', (await call(i % 2 ? a : b, 'POST', '/v1/streams/flood/events', { key: K.flood, body: JSON.stringify(Array.from({ length: 2000 }, () => ({ x: 1 }))) })).status);
        if (i % 20 === 0) count('quota: queries', (await call(a, 'POST', '/v1/queries', { key: K.flood, body: JSON.stringify({ sql: `SELECT COUNT(*) AS n${i} FROM flood` }) })).status);
      }
    })());
    loops.push((async () => {
      const sockets: WebSocket[] = [];
      while (live()) {
        const status = await new Promise<number>((ok) => {
          const s = new WebSocket(`${(sockets.length % 2 ? a : b).replace('http', 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${K.flood}` } });
          s.on('error', () => ok(0));
          s.on('unexpected-response', (_req, res) => {
            ok(res.statusCode ?? 0);
            res.resume();
          });
          s.on('open', () => {
            sockets.push(s);
            // And a message flood on every fifth socket it gets: closed with 1008.
            if (sockets.length % 5 === 0) for (let m = 0; m < 100; m++) s.send('{"type":"unsubscribe","query":"q_x"}');
            ok(101);
          });
        });
        count('quota: connections', status);
        if (sockets.length > 40) sockets.splice(0, 10).forEach((s) => s.close());
        await sleep(100);
      }
      sockets.forEach((s) => s.close());
    })());
    await Promise.all(loops);
    ws.close();

    // The legal query counts exactly what was accepted.
    let total = -1;
    for (let i = 0; i < 200 && total !== legalEvents; i++) {
      const rows = (JSON.parse((await call(a, 'GET', `/v1/queries/${q.id}/results?limit=1000`, { key: K.reader })).body) as { rows: { n: number }[] }).rows;
      total = rows.reduce((s, r) => s + r.n, 0);
      if (total !== legalEvents) await sleep(100);
    }
    const rssEnd = gateways.map((g) => rssMb(g.child.pid));
    let all = 0;
    let fiveXX = 0;
    console.log(`soak: ${SECONDS} s, two gateways, one Redis`);
    for (const [cls, m] of counts) {
      const n = [...m.values()].reduce((s, x) => s + x, 0);
      all += n;
      fiveXX += [...m].filter(([s]) => s >= 500).reduce((s, [, x]) => s + x, 0);
      console.log(`  ${cls.padEnd(20)} ${String(n).padStart(7)} requests  ${[...m].sort((x, y) => x[0] - y[0]).map(([s, x]) => `${s}×${x}`).join('  ')}`);
    }
    console.log(`  total ${all} requests, 5xx: ${fiveXX}; live-result messages pushed: ${pushed}`);
    console.log(`  legal events accepted ${legalEvents}, counted by the query ${total}: ${total === legalEvents ? 'exact' : 'MISMATCH'}`);
    console.log(`  RSS MB at start ${rssStart.join(' / ')}, at end ${rssEnd.join(' / ')}`);
    if (fiveXX > 0 || total !== legalEvents) process.exitCode = 1;
  } finally {
    await stopAll();
  }
}

await main();
