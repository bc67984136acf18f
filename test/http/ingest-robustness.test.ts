// Bad or oversized input gets a clear 4xx and writes nothing: a batch at the event limit is written
// whole (it overflowed the stack when spread into one FCALL); one past it is refused while the body
// is scanned, before parsing; JSON nested thousands deep is a 400; a `start` that is not a Redis
// entry id is a 400 with no stream created; an entry id on a stream with no entries yet works.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

t.test('event-count limit, nesting depth and start ids', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { MAX_EVENTS_PER_REQUEST: '50000', BODY_LIMIT_BYTES: '50000000' });
  const events = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `e${i}`, x: i }));

  const ok = await app.inject({ method: 'POST', url: '/v1/streams/big/events', payload: events(50_000) });
  t.equal(ok.statusCode, 201, '50,000 events (the limit) in one POST');
  t.equal(await r.client.xLen(keys.events(part('big', 0))), 50_000, 'all of them written');

  for (const [type, body] of [
    ['application/json', JSON.stringify(events(50_001))],
    ['application/x-ndjson', events(50_001).map((e) => JSON.stringify(e)).join('\n')],
  ] as const) {
    const res = await app.inject({ method: 'POST', url: '/v1/streams/over/events', headers: { 'content-type': type }, payload: body });
    t.equal(res.statusCode, 413, `${type}: one past the limit is refused`);
    t.equal(res.json<{ code: string }>().code, 'SG_ERR_TOO_MANY_EVENTS');
  }
  t.same(await r.client.keys('*over*'), [], 'nothing written, no stream created');

  let nested = '1';
  for (let i = 0; i < 5_000; i++) nested = `[${nested}]`;
  for (const [type, body] of [['application/json', `[{"x": ${nested}}]`], ['application/x-ndjson', `{"x": 1}\n{"x": ${nested}}`]] as const) {
    const res = await app.inject({ method: 'POST', url: '/v1/streams/deep/events', headers: { 'content-type': type }, payload: body });
    t.equal(res.statusCode, 400, `${type}: JSON nested 5,000 deep is a 400`);
    t.match(res.json<{ detail: string }>().detail, /more than 64 levels deep/);
  }
  t.same(await r.client.keys('*deep*'), [], 'nothing written');
  const fine = await app.inject({ method: 'POST', url: '/v1/streams/deep2/events', payload: [{ a: { b: { c: [1, [2, { d: 'x[{' }]] } } }] });
  t.equal(fine.statusCode, 201, 'ordinary nesting (and brackets inside strings) is fine');

  for (const start of ['123456789012345678901234567890', '18446744073709551616-0', '1-18446744073709551616']) {
    const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT COUNT(*) AS n FROM fresh', start } });
    t.equal(res.statusCode, 400, `start ${start} is not an entry id`);
  }
  t.same(await r.client.keys('*fresh*'), [], 'no stream created for a refused query');
  const created = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT COUNT(*) AS n FROM empty', start: '5-0' } });
  t.equal(created.statusCode, 201, 'an entry id on a stream with no entries yet');
  const posted = await app.inject({ method: 'POST', url: '/v1/streams/empty/events', payload: [{ x: 1 }] });
  t.equal(posted.statusCode, 201);
});

t.test('schema patterns run on RE2: a catastrophic pattern answers at once; one RE2 cannot run is a 400', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  const put = await app.inject({ method: 'PUT', url: '/v1/streams/p', payload: { schema: { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' }, t: { type: 'string', pattern: '^b' } } } } });
  t.equal(put.statusCode < 300, true, 'a schema with a backtracking-prone pattern');
  const started = performance.now();
  const bad = await app.inject({ method: 'POST', url: '/v1/streams/p/events', payload: [{ s: `${'a'.repeat(40_000)}!` }] });
  t.equal(bad.statusCode, 400, 'the value does not match');
  t.ok(performance.now() - started < 2_000, `answered in ${(performance.now() - started).toFixed(0)} ms`);
  t.equal((await app.inject({ method: 'POST', url: '/v1/streams/p/events', payload: [{ s: 'aaa', t: 'bx' }] })).statusCode, 201, 'matching values pass');
  t.equal((await app.inject({ method: 'POST', url: '/v1/streams/p/events', payload: [{ t: 'x' }] })).statusCode, 400, 'each pattern is its own (no cache mix-up)');
  const refused = await app.inject({ method: 'PUT', url: '/v1/streams/q', payload: { schema: { type: 'object', properties: { s: { type: 'string', pattern: '(a)\\1' } } } } });
  t.equal(refused.statusCode, 400, 'a backreference (not RE2) is refused');
  t.equal(refused.json<{ code: string }>().code, 'SG_ERR_BAD_SCHEMA');
});

t.test('FROM follows the stream-name rule: no stream or key is made from a name the URL would refuse', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url);
  for (const name of ['a}b{c', 'x*?[y]', 'a\nb', 'x'.repeat(129)]) {
    const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: `SELECT COUNT(*) AS n FROM "${name}"` } });
    t.equal(res.statusCode, 400, `FROM ${JSON.stringify(name).slice(0, 30)} is refused`);
    const v = await app.inject({ method: 'POST', url: '/v1/queries/validate', payload: { sql: `SELECT COUNT(*) AS n FROM "${name}"` } });
    t.equal(v.statusCode, 400, 'by validate too');
  }
  t.same((await r.client.keys('*')).filter((k) => !k.startsWith('sg:{meta}')), [], 'no stream key was created');
  t.same(await r.client.hKeys('sg:{meta}:streams').catch(() => []), [], 'and no stream config');
});
