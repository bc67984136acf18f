// Supervision: a throwing user function fails only its own query; a broken module stops start-up;
// idle streams still close windows; a graceful shutdown hands the leases over at once.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { gatewayArgs, startGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' };

const FRAGILE = `
export default {
  kind: 'scalar', name: 'fragile', minArgs: 1, maxArgs: 1,
  returnType: () => 'double',
  call: ([x]) => { if (x === 13) throw new Error('unlucky number'); return x * 2; },
};
`;

async function post(app: FastifyInstance, events: unknown[]) {
  const res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: events });
  if (res.statusCode !== 201) throw new Error(res.body);
}

async function create(app: FastifyInstance, payload: Record<string, unknown>): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { start: 'earliest', ...payload } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json<{ id: string }>().id;
}

const status = async (app: FastifyInstance, id: string) =>
  (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ status: string; error?: string; lag: number; processed: number; watermark: string | null; owners: string[]; throughput: number }>();

t.test('a user function that throws fails only its own query, with the error on its status', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-fn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'fragile.mjs'), FRAGILE);
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ...FAST, FUNCTIONS_DIR: dir });
  const fragile = await create(app, { sql: 'SELECT k, SUM(FRAGILE(x)) AS doubled FROM s GROUP BY k' });
  const sturdy = await create(app, { sql: 'SELECT k, SUM(x) AS total FROM s GROUP BY k' });
  await post(app, [{ k: 'a', x: 1 }, { k: 'a', x: 2 }]);
  await waitUntil('the fragile query processed the good events', async () => (await status(app, fragile)).processed === 2);
  await post(app, [{ k: 'a', x: 13 }, { k: 'a', x: 4 }]);
  const failed = await waitUntil('the fragile query failed', async () => {
    const s = await status(app, fragile);
    return s.status === 'failed' ? s : undefined;
  });
  t.match(failed.error, /FRAGILE.*unlucky number/, 'the error names the function and what it threw');
  await waitUntil('the sturdy query caught up', async () => (await status(app, sturdy)).lag === 0);
  const rows = (await app.inject({ method: 'GET', url: `/v1/queries/${sturdy}/results` })).json<{ rows: unknown[] }>().rows;
  t.same(rows, [{ k: 'a', total: 20 }], 'the other query is unaffected');
  t.equal((await status(app, sturdy)).status, 'running');
  const kept = (await app.inject({ method: 'GET', url: `/v1/queries/${fragile}/results` })).json<{ rows: unknown[] }>().rows;
  t.same(kept, [{ k: 'a', doubled: 6 }], 'the failed query keeps its last checkpoint');
});

t.test('a broken function module stops start-up with a message naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-fn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'broken.mjs'), "export default { kind: 'scalar', name: 'broken', minArgs: 1, maxArgs: 1 };");
  const r = await startRedis(t);
  const child = spawn(process.execPath, gatewayArgs(), {
    env: { PATH: process.env.PATH ?? '', REDIS_URL: r.url, PORT: '0', FUNCTIONS_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  t.equal(code, 1);
  t.match(out, /FUNCTIONS_DIR: function broken: missing method returnType\(\) \(in .*broken\.mjs\)/);
});

t.test('an idle stream still closes its windows after the idle timeout', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const id = await create(app, {
    sql: "SELECT k, COUNT(*) AS n, window_start, window_end FROM s GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)",
    emit: 'final',
    idleTimeout: '300ms',
  });
  await post(app, [{ k: 'a', ts: '2026-01-01T00:00:58Z' }, { k: 'a', ts: '2026-01-01T00:00:59.500Z' }]);
  await waitUntil('the events are processed', async () => (await status(app, id)).processed === 2);
  // No further events: only the idle timeout can move the watermark past the window's end
  // (event time is taken to move with processing time once the stream is idle).
  const closed = await waitUntil('the window closed while idle', async () => {
    const entries = await r.client.xRange(`sg:{s#0}:q:${id}:changes`, '-', '+');
    return entries && entries.length > 0 ? entries : undefined;
  }, 10_000);
  const change = JSON.parse(closed[0]!.message.c!) as { op: string; final: boolean; row: Record<string, unknown> };
  t.match(change, { op: 'upsert', final: true, row: { k: 'a', n: 2, window_start: '2026-01-01T00:00:00.000Z', window_end: '2026-01-01T00:01:00.000Z' } });
  const s = await status(app, id);
  t.ok(s.watermark && s.watermark >= '2026-01-01T00:01:00.000Z', `the watermark moved past the window (${s.watermark})`);
  t.same((await app.inject({ method: 'GET', url: `/v1/queries/${id}/results` })).json<{ rows: unknown[] }>().rows, [change.row], 'the closed window stays readable');
});

t.test('SIGTERM hands the leases over at once, well before they would expire', async (t) => {
  const r = await startRedis(t);
  const api = await startApp(t, r.url, { ROLE: 'api', REGISTRY_POLL: '100ms' });
  const id = await create(api, { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k' });
  // A long TTL, so "at once" stays far from "on expiry" even when a loaded machine slows the shutdown.
  const env = { REDIS_URL: r.url, ROLE: 'worker', LEASE_TTL: '40s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' };
  const a = await startGateway(env);
  t.teardown(() => a.kill());
  const ownerA = await waitUntil('A owns the task', async () => (await status(api, id)).owners[0]);
  const b = await startGateway(env);
  t.teardown(() => b.kill());
  await post(api, [{ k: 'x' }, { k: 'y' }]);
  const stoppedAt = Date.now();
  await a.kill('SIGTERM');
  const ownerB = await waitUntil('B owns the task', async () => {
    const o = (await status(api, id)).owners[0];
    return o && o !== ownerA ? o : undefined;
  }, 40_000, 20);
  const took = Date.now() - stoppedAt;
  t.ok(took < 15_000, `B took over ${took} ms after SIGTERM (the lease TTL is 40 s)`);
  t.ok(ownerB);
  await post(api, [{ k: 'x' }]);
  await waitUntil('caught up', async () => (await status(api, id)).lag === 0);
  t.same((await api.inject({ method: 'GET', url: `/v1/queries/${id}/results` })).json<{ rows: unknown[] }>().rows, [{ k: 'x', n: 2 }, { k: 'y', n: 1 }]);
});
