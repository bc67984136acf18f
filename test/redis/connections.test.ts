// A gateway's Redis connections do not grow with its queries and live subscriptions: tasks and
// tailers read on the shared client and wait on one stream watcher. Idle queries cost few commands.
import t from 'tap';
import WebSocket from 'ws';
import { startRedis, clusterMode } from '../helpers/redis.js';
import { startGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';

/** Connections Redis sees from gateway processes (they name themselves `streamgate`). */
async function gatewayConnections(client: { sendCommand: (args: string[]) => Promise<unknown> }): Promise<number> {
  const list = String(await client.sendCommand(['CLIENT', 'LIST']));
  return list.split('\n').filter((line) => / name=streamgate /.test(line)).length;
}

/** Calls per command since start (INFO commandstats). */
async function commandCalls(client: { info: (section: string) => Promise<string> }): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await client.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) out.set(m[1]!, Number(m[2]));
  return out;
}

t.test('connections stay bounded while queries and subscriptions grow; idle queries are cheap', { skip: clusterMode ? 'counts one Redis' : false }, async (t) => {
  const r = await startRedis(t);
  const gw = await startGateway({ REDIS_URL: r.url, LEASE_TTL: '5s', REGISTRY_POLL: '100ms', BLOCK_TIME: '250ms', PUSH_BLOCK_TIME: '1s' });
  t.teardown(() => gw.kill());
  const post = (path: string, body: unknown) => fetch(gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await fetch(`${gw.url}/v1/streams/s`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partitions: 4 }) });
  const ids: string[] = [];
  const sockets: WebSocket[] = [];
  const counts: number[] = [];
  for (const target of [5, 60]) {
    while (ids.length < target) {
      const res = await post('/v1/queries', { sql: `SELECT k, COUNT(*) AS n${ids.length} FROM s GROUP BY k` });
      const id = ((await res.json()) as { id: string }).id;
      ids.push(id);
      const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/queries/${id}/subscribe`);
      await new Promise((ok, fail) => {
        ws.once('message', ok);
        ws.once('error', fail);
      });
      sockets.push(ws);
    }
    await waitUntil('every task running', async () => {
      const qs = ((await (await fetch(`${gw.url}/v1/queries`)).json()) as { queries: { owners: string[] }[] }).queries;
      return qs.every((q) => q.owners.length === 1);
    }, 30_000, 100);
    counts.push(await gatewayConnections(r.client));
  }
  t.comment(`gateway connections with 5 queries × 4 partitions and 5 subscribers: ${counts[0]}; with 60 and 60: ${counts[1]}`);
  t.ok(counts[1]! <= 3, `at most 3 connections (the shared client, the stream watcher, and a spare) with 240 tasks and 60 tailers: ${counts[1]}`);
  t.equal(counts[1], counts[0], 'the same with 60 queries as with 5');

  // Live results still arrive on every subscription, through the watcher.
  const got = sockets.map(() => false);
  sockets.forEach((ws, i) => ws.on('message', (d: Buffer) => {
    if (/"type":"change"/.test(d.toString())) got[i] = true;
  }));
  await post('/v1/streams/s/events', Array.from({ length: 8 }, (_, i) => ({ k: `k${i}` })));
  await waitUntil('a change on every subscription', async () => got.every(Boolean), 20_000, 50);

  // Idle: 240 tasks and 60 tailers waiting, no events.
  await new Promise((ok) => setTimeout(ok, 1_000));
  const before = await commandCalls(r.client);
  await new Promise((ok) => setTimeout(ok, 3_000));
  const after = await commandCalls(r.client);
  const rates = [...after].map(([c, n]) => [c, (n - (before.get(c) ?? 0)) / 3] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  const perSecond = rates.reduce((s, [, n]) => s + n, 0);
  t.comment(`idle Redis commands per second with 60 queries (240 tasks) and 60 subscribers: ${perSecond.toFixed(0)} (${rates.slice(0, 6).map(([c, n]) => `${c} ${n.toFixed(0)}`).join(', ')})`);
  const reads = (after.get('xreadgroup') ?? 0) - (before.get('xreadgroup') ?? 0) + (after.get('xread') ?? 0) - (before.get('xread') ?? 0);
  t.ok(reads / 3 < 20, `idle tasks and tailers do not poll: ${(reads / 3).toFixed(1)} XREADGROUP/XREAD per second (one blocking read per task per BLOCK_TIME would be 960)`);
  for (const ws of sockets) ws.close();
});
