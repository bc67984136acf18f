// The Redis functions against a real server: refusals write nothing, and a restarted Redis gets them back.
import t from 'tap';
import { pino } from 'pino';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/project-root.js';
import { startRedis } from '../helpers/redis.js';
import { connectRedis } from '../../src/redis/client.js';
import { callFunction } from '../../src/redis/functions.js';
import { part } from '../helpers/partitions.js';

const log = pino({ level: 'silent' });

t.test('ingest_events refuses over the backlog limit before writing anything', async (t) => {
  const r = await startRedis(t);
  const redis = await connectRedis({ url: r.url, log });
  t.teardown(() => redis.close());
  const request = (n: number) => ['', '0', '', String(n), ...Array.from({ length: n }, (_, i) => ['0', String(i), `{"i":${i}}`]).flat()];
  const ok = (await callFunction(redis, 'ingest_events', ['s'], ['60000', '10', '1', ...request(3)])) as (string | number)[];
  t.equal(ok.length, 5);
  t.same(ok.slice(0, 2), [0, 3], 'written, 3 ids');
  const refused = (await callFunction(redis, 'ingest_events', ['s'], ['60000', '3', '1', ...request(20)])) as (string | number)[];
  t.same(refused, [-1, 0], 'refused for backlog');
  t.equal(await r.client.xLen('s'), 3, 'a refused request wrote nothing');
});

t.test('ingest_events: the idempotency record replays and refuses a different body', async (t) => {
  const r = await startRedis(t);
  const redis = await connectRedis({ url: r.url, log });
  t.teardown(() => redis.close());
  const call = async (fp: string) => (await callFunction(redis, 'ingest_events', ['s', 'rec'], ['60000', '0', '1', fp, '2', 'tp', '1', '0', '5', '{}'])) as (string | number)[];
  const first = await call('f1');
  t.same(first.slice(0, 2), [0, 1]);
  const again = await call('f1');
  t.same(again, [1, 1, first[2]], 'replayed with the first id');
  t.same(await call('f2'), [-2, 0], 'a different body is refused');
  const ttl = await r.client.pTTL('rec');
  t.ok(ttl > 0 && ttl <= 60000, 'the record expires');
  const entry = (await r.client.xRange('s', '-', '+'))![0]!;
  t.same(entry.message, { e: '{}', t: '5', a: entry.message.a, tp: 'tp' });
});

t.test('functions are reloaded after Redis restarts without persistence', async (t) => {
  const r = await startRedis(t, { persistence: false });
  const redis = await connectRedis({ url: r.url, log });
  t.teardown(() => redis.close());
  await r.server.kill();
  await r.server.start();
  // Wait for the client to reconnect, then call at once: the reload-on-ready or the retry covers it.
  for (let i = 0; i < 100 && !redis.isReady; i++) await new Promise((ok) => setTimeout(ok, 50));
  const out = (await callFunction(redis, 'ingest_events', ['s'], ['1000', '0', '1', '', '0', '', '1', '0', '', '{}'])) as unknown[];
  t.equal(out.length, 3);
  // The other libraries load beside that call (the reload on ready runs in the background).
  const files = readdirSync(join(projectRoot(), 'src', 'redis', 'functions')).filter((f) => f.endsWith('.lua'));
  let libs: unknown[] = [];
  for (let i = 0; i < 100 && libs.length < files.length; i++) {
    libs = await r.client.sendCommand(['FUNCTION', 'LIST']);
    if (libs.length < files.length) await new Promise((ok) => setTimeout(ok, 50));
  }
  t.equal(libs.length, files.length, 'every library is loaded again within 5 s');
});

t.test('ingest_events: requests grouped in one call stay independent', async (t) => {
  const r = await startRedis(t);
  const redis = await connectRedis({ url: r.url, log });
  t.teardown(() => redis.close());
  await callFunction(redis, 'ingest_events', ['s', 'recA'], ['60000', '0', '1', 'fa', '2', '', '1', '0', '1', '{"a":1}']);
  // Request 1 reuses recA with another body (refused), request 2 is fresh with an event id.
  const out = (await callFunction(redis, 'ingest_events', ['s', 'recA', 'eid'], ['60000', '0', '2', 'other', '2', '', '1', '0', '1', '{"a":2}', '', '0', '', '2', '3', '', '{"b":1}', '3', '', '{"b":1}'])) as (string | number)[];
  t.equal(out[0], -2, 'first request refused');
  t.equal(out[1], 0);
  t.equal(out[2], 0, 'second written');
  t.equal(out[3], 2);
  t.equal(out[4], out[5], 'the repeated event id maps to one entry');
  t.equal(await r.client.xLen('s'), 2, 'one event from the first call, one from the second');
});

t.test('lease_acquire counts takeovers from an owner that died mid-batch; a commit or a release resets the count', async (t) => {
  const r = await startRedis(t);
  const redis = await connectRedis({ url: r.url, log });
  t.teardown(() => redis.close());
  const { keys } = await import('../../src/redis/keys.js');
  const { acquireLease, releaseLease } = await import('../../src/runtime/leases.js');
  const { commitBatch } = await import('../../src/redis/functions/commit-batch.js');
  const k = keys.task(part('s', 0), 'q1');
  const source = keys.events(part('s', 0));
  await r.client.xGroupCreate(source, 'q1', '0', { MKSTREAM: true });
  await r.client.xAdd(source, '*', { e: '{}', t: '1' });
  // An owner reads the entry (it is now pending) and dies, inside apply or elsewhere.
  const die = async (owner: string, inApply: boolean) => {
    const got = await acquireLease(redis, k, source, 'q1', owner, 10_000);
    await r.client.xAutoClaim(source, 'q1', owner, 0, '0-0');
    await r.client.xReadGroup('q1', owner, { key: source, id: '>' });
    if (inApply) await r.client.hSet(k.checkpoint, 'applying', owner);
    await r.client.del(k.lease);
    return got;
  };
  t.same((await die('a', false)).takeovers, 0, 'the first owner takes over nothing');
  t.same((await die('b', false)).takeovers, 1, 'after a death with entries pending: 1, a suspicion');
  t.same((await die('c', true)).takeovers, 1, 'a death outside apply does not add to a suspicion');
  t.same((await die('d', true)).takeovers, 2, 'a death inside apply of the inherited entries adds one');
  const c = await acquireLease(redis, k, source, 'q1', 'c', 10_000);
  t.same(c.takeovers, 3, 'and again: 3');
  t.equal(await r.client.hGet(k.checkpoint, 'applying'), null, 'the mark is cleared for the new owner');
  t.same(await acquireLease(redis, k, source, 'q1', 'c', 10_000), c, 'the holder re-acquiring changes nothing');
  const empty = { set: {}, del: [], meta: '{}', added: [] };
  await commitBatch(redis, k, source, { owner: 'c', epoch: c.epoch, group: 'q1', offset: undefined, processed: 0, delta: empty, ack: [], result: { changes: [], late: [], closed: [] }, dead: [], nowMs: Date.now(), resultRetentionMs: 1000, changesMaxLength: 100, watermark: -Infinity, traceparent: undefined, arrivalMs: undefined });
  t.equal(await r.client.hGet(k.checkpoint, 'takeovers'), null, 'a commit resets the count');
  await r.client.hSet(k.checkpoint, 'applying', 'c');
  await r.client.del(k.lease);
  t.same((await acquireLease(redis, k, source, 'q1', 'd', 10_000)).takeovers, 1, 'counting starts again after the commit');
  const d = await r.client.get(k.lease);
  t.ok(await releaseLease(redis, k, 'd', Number(d!.split(' ')[1])));
  t.same((await acquireLease(redis, k, source, 'q1', 'e', 10_000)).takeovers, 1, 'a graceful release is not a death: not counted');
});
