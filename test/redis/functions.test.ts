// The Redis functions against a real server: refusals write nothing, and a restarted Redis gets them back.
import t from 'tap';
import { pino } from 'pino';
import { startRedis } from '../helpers/redis.js';
import { connectRedis } from '../../src/redis/client.js';
import { callFunction } from '../../src/redis/functions.js';

const log = pino({ level: 'silent' });

t.test('ingest_events refuses over the backlog limit before writing anything', async (t) => {
  const r = await startRedis(t);
  const redis = await connectRedis({ url: r.url, log });
  t.teardown(() => redis.close());
  const args = (n: number, limit: number) => ['60000', '', String(limit), String(n), ...Array.from({ length: n }, (_, i) => ['0', String(i), `{"i":${i}}`, '']).flat()];
  const ok = (await callFunction(redis, 'ingest_events', ['s', 's'], args(3, 10))) as string[];
  t.equal(ok.length, 4);
  t.equal(ok[0], 0, 'not a replay');
  await t.rejects(callFunction(redis, 'ingest_events', ['s', 's'], args(20, 3)), /SG_BACKLOG 3/);
  t.equal(await r.client.xLen('s'), 3, 'a refused call wrote nothing');
});

t.test('ingest_events: the idempotency record replays and refuses a different body', async (t) => {
  const r = await startRedis(t);
  const redis = await connectRedis({ url: r.url, log });
  t.teardown(() => redis.close());
  const call = (fp: string) => callFunction(redis, 'ingest_events', ['s', 'rec'], ['60000', fp, '0', '1', '0', '5', '{}', 'tp']);
  const first = (await call('f1')) as (string | number)[];
  const again = (await call('f1')) as (string | number)[];
  t.equal(again[0], 1);
  t.equal(again[1], first[1]);
  await t.rejects(call('f2'), /SG_IDEMPOTENCY_MISMATCH/);
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
  const out = (await callFunction(redis, 'ingest_events', ['s', 's'], ['1000', '', '0', '1', '0', '', '{}', ''])) as unknown[];
  t.equal(out.length, 2);
  const libs = (await r.client.sendCommand(['FUNCTION', 'LIST'])) as unknown[];
  t.equal(libs.length, 2, 'both libraries are loaded again');
});
