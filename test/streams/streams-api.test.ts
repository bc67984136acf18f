// PUT/GET/DELETE/list of streams, and retention that never drops unacknowledged entries.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { assertProblem } from '../helpers/http.js';
import { keys } from '../../src/redis/keys.js';
import { trimStream } from '../../src/streams/retention-worker.js';
import type { StreamConfig } from '../../src/streams/stream-config.js';
import type { Redis } from '../../src/redis/client.js';
import { part } from '../helpers/partitions.js';

t.test('a stream is configured, shown with its groups, listed and deleted', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const put = await app.inject({
    method: 'PUT',
    url: '/v1/streams/sales',
    payload: { timeField: 'at', retention: { maxLength: 1000, maxAge: '24h' }, partitions: 2, partitionKey: 'region', schema: { type: 'object' } },
  });
  t.equal(put.statusCode, 200);
  t.match(put.json(), { name: 'sales', timeField: 'at', partitions: 2, partitionKey: 'region', retention: { maxLength: 1000, maxAgeMs: 86_400_000 } });
  t.notOk('version' in put.json(), 'internal version stays inside');
  const post = await app.inject({ method: 'POST', url: '/v1/streams/sales/events', payload: [{ region: 'eu', at: 5 }, { region: 'us', at: 6 }, { region: 'eu', at: 7 }] });
  t.equal(post.statusCode, 201);
  const ids = post.json<{ ids: string[] }>().ids;
  const went = post.json<{ partitions: number[] }>().partitions;
  t.equal(went.length, 3, 'the answer names the partition of every id');
  t.equal(went[0], went[2], 'one partition key, one partition');
  for (let i = 0; i < 3; i++) {
    const entry = await r.client.xRange(keys.events(part('sales', went[i]!, 2)), ids[i]!, ids[i]!);
    t.equal(entry?.length, 1, `id ${i} is in the partition the answer names`);
  }
  const single = await app.inject({ method: 'POST', url: '/v1/streams/plain/events', payload: { a: 1 } });
  t.notOk('partitions' in single.json(), 'one partition: ids only');
  await app.inject({ method: 'DELETE', url: '/v1/streams/plain' });
  const busy = (await r.client.xLen(keys.events(part('sales', 0, 2)))) > 0 ? 0 : 1;
  await r.client.xGroupCreate(keys.events(part('sales', busy, 2)), 'q1', '0');

  const got = await app.inject({ method: 'GET', url: '/v1/streams/sales' });
  t.equal(got.statusCode, 200);
  const info = got.json<{ length: number; firstEntryId: string; lastEntryId: string; partitionInfo: { groups: { name: string; lag: number | null }[] }[] }>();
  t.equal(info.length, 3);
  t.equal(info.firstEntryId, [...ids].sort()[0]);
  t.equal(info.lastEntryId, [...ids].sort()[2]);
  t.equal(info.partitionInfo.length, 2);
  t.same(info.partitionInfo[busy]!.groups.map((g) => g.name), ['q1']);
  t.ok((info.partitionInfo[busy]!.groups[0]!.lag ?? 1) > 0, 'an unread group shows lag');

  const list = await app.inject({ method: 'GET', url: '/v1/streams' });
  t.same(list.json<{ streams: { name: string }[] }>().streams.map((s) => s.name), ['sales']);

  assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/sales', payload: { partitions: 3 } }), 409, 'SG_ERR_CONFLICT');
  assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/sales', payload: { schema: { type: 'nonsense' } } }), 400, 'SG_ERR_BAD_SCHEMA');
  assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/sales', payload: { partitions: 0 } }), 400, 'SG_ERR_VALIDATION');
  assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/sales', payload: { retention: { maxAge: 'soon' } } }), 400, 'SG_ERR_VALIDATION');
  assertProblem(t, await app.inject({ method: 'PUT', url: '/v1/streams/sales', payload: { unknown: 1 } }), 400, 'SG_ERR_VALIDATION');

  await app.inject({ method: 'POST', url: '/v1/streams/sales/events', payload: { region: 'eu', id: 'dedupe-me' } });
  const del = await app.inject({ method: 'DELETE', url: '/v1/streams/sales' });
  t.equal(del.statusCode, 204);
  t.same(await r.client.keys('sg:{sales#*'), [], 'no key of the stream is left');
  assertProblem(t, await app.inject({ method: 'DELETE', url: '/v1/streams/sales' }), 404, 'SG_ERR_STREAM_NOT_FOUND');
  assertProblem(t, await app.inject({ method: 'GET', url: '/v1/streams/sales' }), 404, 'SG_ERR_STREAM_NOT_FOUND');
});

t.test('a schema change takes effect for the next request', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { STREAM_CONFIG_CACHE: '0ms' });
  t.equal((await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { a: 'x' } })).statusCode, 201);
  await app.inject({ method: 'PUT', url: '/v1/streams/s', payload: { schema: { type: 'object', properties: { a: { type: 'number' } } } } });
  assertProblem(t, await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: { a: 'x' } }), 400, 'SG_ERR_BAD_EVENTS');
});

async function fill(redis: Redis, key: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await redis.xAdd(key, '*', { n: String(i) }));
  return ids;
}

const config = (retention: StreamConfig['retention']): StreamConfig => ({ name: 'r', timeField: 'ts', partitions: 1, createdAt: '', version: 1, retention });

t.test('retention trims by length but never drops entries a group has not acknowledged', async (t) => {
  const r = await startRedis(t);
  const key = keys.events(part('r', 0));
  const ids = await fill(r.client, key, 100);
  await r.client.xGroupCreate(key, 'slow', '0');
  // The group reads 50 and acknowledges 30: entries 30.. are pending or unread.
  const read = await r.client.xReadGroup('slow', 'c1', { key, id: '>' }, { COUNT: 50 });
  t.equal(read![0]!.messages.length, 50);
  await r.client.xAck(key, 'slow', ids.slice(0, 30));
  const removed = await trimStream(r.client, config({ maxLength: 10 }), Date.now());
  t.equal(removed, 30, 'only acknowledged entries trimmed');
  const left = (await r.client.xRange(key, '-', '+'))!;
  t.equal(left[0]!.id, ids[30], 'the oldest pending entry is kept');
  t.equal(await r.client.xLen(key), 70);
  // Once everything is acknowledged, the length limit applies in full.
  const rest = await r.client.xReadGroup('slow', 'c1', { key, id: '>' }, { COUNT: 100 });
  await r.client.xAck(key, 'slow', [...ids.slice(30, 50), ...rest![0]!.messages.map((m: { id: string }) => m.id)]);
  await trimStream(r.client, config({ maxLength: 10 }), Date.now());
  t.equal(await r.client.xLen(key), 10);
});

t.test('retention by age and with no groups trims what is old enough', async (t) => {
  const r = await startRedis(t);
  const key = keys.events(part('r', 0));
  const old = await r.client.xAdd(key, '1000-0', { n: 'old' });
  await r.client.xAdd(key, '2000-0', { n: 'old2' });
  const fresh = await fill(r.client, key, 3);
  const now = Number(fresh[0]!.split('-')[0]);
  t.ok(old);
  t.equal(await trimStream(r.client, config({ maxAgeMs: 60_000 }), now), 2);
  t.same((await r.client.xRange(key, '-', '+'))!.map((e) => e.id), fresh);
  // A group that has not read anything holds everything, even past the length limit.
  await r.client.xGroupCreate(key, 'g', '0');
  t.equal(await trimStream(r.client, config({ maxLength: 1 }), now), 0);
  t.equal(await r.client.xLen(key), 3);
});
