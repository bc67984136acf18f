// One user's broken query must not grow a stream without bound: a failed query, and one paused
// longer than RETENTION_DETACH_PAUSED, stop holding retention back. What they had not read is
// trimmed and counted as a gap they report; resumed, they continue after it. A running query and
// a recently paused one still hold retention back (nothing they have not read is removed).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

const FRAGILE = `
export default {
  kind: 'scalar', name: 'fragile', minArgs: 1, maxArgs: 1,
  returnType: () => 'double',
  call: ([x]) => { if (x === 13) throw new Error('unlucky number'); return x * 2; },
};
`;
const DETACH_PAUSED_MS = 10_000;

interface Status { status: string; processed: number; lag: number; gapEntries: number; partitionStatus: { owner: string | null; gap: { entries: number; until: string | null } | null }[] }
const status = async (app: FastifyInstance, id: string) => (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<Status>();
const rows = async (app: FastifyInstance, id: string) => (await app.inject({ method: 'GET', url: `/v1/queries/${id}/results` })).json<{ rows: Record<string, unknown>[] }>().rows;

async function create(app: FastifyInstance, sql: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql, start: 'earliest' } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json<{ id: string }>().id;
}

async function post(app: FastifyInstance, xs: number[]) {
  const res = await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: xs.map((x) => ({ k: 'a', x })) });
  if (res.statusCode !== 201) throw new Error(res.body);
}

t.test('a failed and a long-paused query are passed by retention with a recorded gap; running and recently paused ones hold it back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-fn-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'fragile.mjs'), FRAGILE);
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', FUNCTIONS_DIR: dir, RETENTION_INTERVAL: '100ms', RETENTION_DETACH_PAUSED: `${DETACH_PAUSED_MS}ms` });
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/s', payload: { retention: { maxLength: 10 } } })).statusCode, 200);
  const source = keys.events(part('s', 0));
  const fragile = await create(app, 'SELECT k, SUM(FRAGILE(x)) AS doubled, COUNT(*) AS n FROM s GROUP BY k');
  const sturdy = await create(app, 'SELECT k, SUM(x) AS total, COUNT(*) AS n FROM s GROUP BY k');
  const held = await create(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');

  await post(app, [1, 2]);
  await waitUntil('both processed the first events', async () => (await status(app, fragile)).processed === 2 && (await status(app, held)).processed === 2);
  const pausedAt = Date.now();
  t.equal((await app.inject({ method: 'POST', url: `/v1/queries/${held}/pause` })).statusCode, 200);
  await waitUntil('the paused query stopped', async () => (await status(app, held)).partitionStatus[0]?.owner === null);
  await post(app, [13]);
  await waitUntil('the fragile query failed', async () => (await status(app, fragile)).status === 'failed');

  const later = Array.from({ length: 100 }, (_, i) => 100 + i);
  for (let i = 0; i < later.length; i += 20) await post(app, later.slice(i, i + 20));
  await waitUntil('the sturdy query caught up', async () => (await status(app, sturdy)).lag === 0);
  await new Promise((ok) => setTimeout(ok, 500)); // a few retention passes
  const heldBack = await r.client.xLen(source);
  t.ok(Date.now() - pausedAt < DETACH_PAUSED_MS, 'still within the paused query’s detach time');
  t.equal(heldBack, 101, `the recently paused query holds retention back: all ${heldBack} entries it has not read are kept`);

  await waitUntil('retention passed the long-paused query too', async () => (await r.client.xLen(source)) <= 10, 30_000);
  t.ok(Date.now() - pausedAt >= DETACH_PAUSED_MS, 'not before RETENTION_DETACH_PAUSED');
  t.same(await rows(app, sturdy), [{ k: 'a', total: 1 + 2 + 13 + later.reduce((a, b) => a + b, 0), n: 103 }], 'the running query read everything before it was trimmed');

  // 103 entries, 10 kept: the failed query had acknowledged 2, so 91 went unread; the paused one
  // had read 2 as well (13 and the 100 after it came later).
  const f = await status(app, fragile);
  t.equal(f.gapEntries, 91, 'the failed query reports the 91 entries it never read');
  const kept = await r.client.xRange(source, '-', '+');
  t.equal(f.partitionStatus[0]?.gap?.until, kept?.[0]?.id, 'and where the gap ends (the first entry kept)');
  t.equal((await status(app, held)).gapEntries, 91, 'so does the long-paused query');

  for (const id of [fragile, held]) t.equal((await app.inject({ method: 'POST', url: `/v1/queries/${id}/resume` })).statusCode, 200);
  await waitUntil('both resumed and caught up after the gap', async () => (await status(app, fragile)).processed === 12 && (await status(app, held)).processed === 12);
  const tail = later.slice(-10);
  t.same(await rows(app, fragile), [{ k: 'a', doubled: 2 * (1 + 2 + tail.reduce((a, b) => a + b, 0)), n: 12 }], 'the resumed query continues after the gap (the failing entry went with it)');
  t.same(await rows(app, held), [{ k: 'a', n: 12 }]);
  t.equal((await status(app, fragile)).status, 'running');
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'a failed query never made the process unready');
});
