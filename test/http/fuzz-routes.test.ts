// Every route of the OpenAPI file under random and hostile input, with real keys of every scope and
// grant: never a 5xx, every refusal problem+json without internals, nothing written in Redis by a
// 4xx (each key's digest compared before and after), and the process's memory bounded.
import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import type { Redis } from '../../src/redis/client.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Heap in use after a full collection: what the process keeps, not what it has not freed yet. */
function retainedMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const KEYS = {
  admin: 'fuzz-admin-key-0123456789ab',
  ingest: 'fuzz-ingest-key-0123456789a',
  reader: 'fuzz-reader-key-0123456789a',
};
const API_KEYS = JSON.stringify([
  { name: 'admin', key: KEYS.admin, scopes: ['admin'] },
  { name: 'ingest', key: KEYS.ingest, scopes: ['ingest'], streams: ['fz*'] },
  { name: 'reader', key: KEYS.reader, scopes: ['query', 'subscribe'], streams: ['fz', 'orders'] },
]);

interface Operation {
  method: string;
  path: string;
}

function operations(): Operation[] {
  const doc = parse(readFileSync(new URL('../../openapi/openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m)).map((m) => ({ method: m.toUpperCase(), path })),
  );
}

/**
 * A digest of the whole dataset (DEBUG DIGEST): one command per request. Nothing else writes in
 * this process (ROLE=api: no tasks or heartbeats; AUTH_FAIL_MAX=0: no failure counters), so any
 * change between two digests is the request's (the counterexample names the request).
 */
async function digest(redis: Redis): Promise<string> {
  return JSON.stringify(await redis.sendCommand(['DEBUG', 'DIGEST']));
}

const hostileName = fc.constantFrom('a}b{c', 'x*?[y]', 'a\nb', '..', '%00', '%2e%2e', 'ünï', ' ', 'q_' + 'f'.repeat(300), '__proto__', 'constructor');
const streamName = fc.oneof(fc.constantFrom('fz', 'orders', 'fz-new', 'other'), fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/), hostileName);
const text = fc.oneof(fc.string({ maxLength: 40 }), hostileName, fc.constantFrom('1767225600000-0', '0-0', '9'.repeat(30), '-1', 'latest', 'earliest', ''));
const sql = fc.oneof(
  fc.constantFrom(
    'SELECT k, COUNT(*) AS n FROM fz GROUP BY k',
    'SELECT k, SUM(amount) AS s FROM orders GROUP BY k',
    'SELECT window_start, COUNT(*) AS n FROM fz GROUP BY TUMBLE(ts, INTERVAL \'1\' MINUTE)',
    'SELECT LAST_VALUE(card) AS c FROM other',
    'SELECT COUNT(*) AS n FROM fz2 GROUP BY TUMBLE(amount, INTERVAL \'1\' MINUTE)',
    'SELECT k, COUNT(*) AS n FROM fz3 GROUP BY k',
    'SELECT k, COUNT(*) AS n FROM fz GROUP BY HOP(ts, INTERVAL \'1\' MILLISECOND, INTERVAL \'1\' DAY)',
    'SELECT k FROM fz WHERE k LIKE \'%a%a%a%a%a%a%\' GROUP BY k',
    'SELECT REPEAT(k, 1000000) AS r FROM fz GROUP BY k',
    'SELECT k, COUNT(*) AS n FROM `a}b{c` GROUP BY k',
    'SELECT * FROM fz',
    'DROP TABLE fz',
    'SELECT 1; SELECT 2',
  ),
  fc.string({ maxLength: 80 }),
);
const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant({ __proto__: { polluted: true } }));
const event = fc.dictionary(fc.constantFrom('k', 'amount', 'ts', 'id', 'card', '__proto__', 'constructor', 'a.b'), fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 10 }), fc.boolean(), fc.constant(null), jsonish), { maxKeys: 5 });

function bodyFor(op: Operation): fc.Arbitrary<unknown> {
  if (op.path.endsWith('/events') && op.method === 'POST') return fc.oneof(fc.array(event, { maxLength: 30 }), event, jsonish);
  if (op.path === '/v1/streams/{stream}') {
    return fc.oneof(
      fc.record({ partitions: fc.oneof(fc.integer({ min: -2, max: 300 }), text), timeField: fc.oneof(text, fc.constant('ts')), retention: fc.oneof(jsonish, fc.record({ maxLen: fc.integer({ min: -1, max: 10_000 }) })), schema: fc.oneof(jsonish, fc.constant({ type: 'object', properties: { k: { type: 'string', pattern: '(a+)+$' } } })) }, { requiredKeys: [] }),
      jsonish,
    );
  }
  if (op.path.startsWith('/v1/queries') && op.method === 'POST') {
    return fc.oneof(
      fc.record({ sql, name: fc.oneof(fc.constantFrom('dash-a', 'fz-q'), text), start: fc.oneof(fc.constantFrom('earliest', 'latest'), text), lateness: fc.oneof(fc.constantFrom('5s', 0), text, fc.integer()), emit: fc.constantFrom('changes', 'changes', 'final', 'x'), events: fc.array(event, { maxLength: 5 }), limits: fc.oneof(fc.constant({ maxGroups: 10 }), jsonish) }, { requiredKeys: ['sql'] }),
      fc.record({ sql }),
      jsonish,
    );
  }
  return fc.option(jsonish, { nil: undefined });
}

const query = fc.dictionary(fc.constantFrom('from', 'to', 'where', 'limit', 'cursor', 'filter', 'batch', 'access_token', 'x'), text, { maxKeys: 3 });
const auth = fc.constantFrom<string | undefined>(`Bearer ${KEYS.admin}`, `Bearer ${KEYS.ingest}`, `Bearer ${KEYS.reader}`, `Bearer ${KEYS.reader}`, 'Bearer not-a-key-0123456789abcdef', `Basic ${KEYS.admin}`, undefined);
const contentType = fc.constantFrom('application/json', 'application/json', 'application/x-ndjson', 'text/plain', 'application/xml', '');

t.test('every route, random and hostile input: no 5xx, problem+json refusals, nothing written on a 4xx, memory bounded', async (t) => {
  const r = await startRedis(t, { extraArgs: ['--enable-debug-command', 'yes'] });
  const app = await startApp(t, r.url, { API_KEYS, ROLE: 'api', MAX_EVENTS_PER_REQUEST: '50', AUTH_FAIL_MAX: '0' });
  const admin = { authorization: `Bearer ${KEYS.admin}` };
  await app.inject({ method: 'PUT', url: '/v1/streams/orders', headers: admin, payload: { schema: { type: 'object', properties: { amount: { type: 'number' } } } } });
  await app.inject({ method: 'POST', url: '/v1/streams/fz/events', headers: admin, payload: [{ k: 'a', amount: 1 }] });
  const created = await app.inject({ method: 'POST', url: '/v1/queries', headers: admin, payload: { sql: 'SELECT k, COUNT(*) AS n FROM fz GROUP BY k', name: 'fz-count' } });
  const queryId = created.json<{ id: string }>().id;
  const ops = operations();
  t.ok(ops.length >= 20, `${ops.length} operations from the OpenAPI file`);

  const seen = new Map<string, Set<number>>();
  const rssStart = process.memoryUsage().rss;
  const heapStart = retainedMb();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...ops).chain((op) => fc.record({ op: fc.constant(op), method: fc.oneof({ weight: 9, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') }), stream: streamName, id: fc.oneof(fc.constant(queryId), text), query, body: bodyFor(op), auth, contentType, idem: fc.option(text, { nil: undefined }), traceparent: fc.option(text, { nil: undefined }) })),
      async ({ op, method, stream, id, query: qs, body, auth: authorization, contentType: ct, idem, traceparent }) => {
        runs++;
        // An accepted Server-Sent Events request never ends under inject (and its session keeps its
        // quota lease alive in Redis): here only its refusals; test/push/sse.test.ts has the rest.
        const target = method === 'GET' && op.path === '/v1/queries/{id}/events' && id === queryId ? 'q_0000000000000000' : id;
        const path = op.path.replace('{stream}', encodeURIComponent(stream)).replace('{id}', encodeURIComponent(target));
        const search = new URLSearchParams(qs).toString();
        const url = search ? `${path}?${search}` : path;
        const headers: Record<string, string> = {};
        if (authorization) headers.authorization = authorization;
        if (ct) headers['content-type'] = ct;
        const printable = (v: string | undefined) => v !== undefined && /^[\x20-\x7e]*$/.test(v);
        if (printable(idem)) headers['idempotency-key'] = idem!;
        if (printable(traceparent)) headers.traceparent = traceparent!;
        const payload = body === undefined || method === 'GET' || method === 'DELETE' ? undefined : ct === 'application/x-ndjson' && Array.isArray(body) ? body.map((e) => JSON.stringify(e)).join('\n') : JSON.stringify(body);
        const before = await digest(r.client);
        const res = await app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
        const label = `${method} ${op.path}`;
        if (!seen.has(label)) seen.set(label, new Set());
        seen.get(label)!.add(res.statusCode);
        if (res.statusCode >= 500) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
        if (res.statusCode >= 400) {
          if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw new Error(`${method} ${url}: ${res.statusCode} is not problem+json: ${res.body}`);
          if (/\.(ts|js):\d+|node_modules/.test(res.body)) throw new Error(`internals leaked: ${res.body}`);
          if ((await digest(r.client)) !== before) throw new Error(`${method} ${url} answered ${res.statusCode} but the dataset changed: ${res.body}`);
        }
      },
    ),
    { numRuns: 4000, seed: 20261201 },
  );
  const heapGrown = retainedMb() - heapStart;
  const rssGrown = (process.memoryUsage().rss - rssStart) / 2 ** 20;
  t.ok(heapGrown < 50, `the heap kept ${heapGrown.toFixed(1)} MB more after ${runs} requests (RSS grew ${rssGrown.toFixed(0)} MB)`);
  t.ok(rssGrown < 400, 'RSS bounded');
  t.ok(seen.size >= ops.length, `every operation was called (${seen.size} method/route pairs)`);
  t.comment([...seen].map(([k, v]) => `${k}: ${[...v].sort().join(' ')}`).join('\n'));
});

t.test('what the fuzz found: refusals that wrote, and bodies that skipped validation', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, {});
  const badEvent = await app.inject({ method: 'POST', url: '/v1/streams/fresh/events', payload: [{ id: true }] });
  t.equal(badEvent.statusCode, 400);
  t.equal((await app.inject({ method: 'GET', url: '/v1/streams/fresh' })).statusCode, 404, 'refused events do not create their stream');
  const badWindow = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT COUNT(*) AS n FROM fresh2 GROUP BY TUMBLE(amount, INTERVAL \'1\' MINUTE)' } });
  t.equal(badWindow.statusCode, 400);
  t.equal((await app.inject({ method: 'GET', url: '/v1/streams/fresh2' })).statusCode, 404, 'a refused query does not create the stream it names');
  t.equal(await r.client.exists('sg:{meta}:streams'), 0, 'the stream registry was never written');
  for (const url of ['/v1/queries', '/v1/queries/validate']) {
    const ndjson = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-ndjson' }, payload: '{}' });
    t.equal(ndjson.statusCode, 415, `NDJSON to ${url}, which takes JSON only: 415 (it was a 500)`);
  }
  const put = await app.inject({ method: 'PUT', url: '/v1/streams/fresh3', headers: { 'content-type': 'application/x-ndjson' }, payload: '{}' });
  t.equal(put.statusCode, 415, 'and to PUT a stream (an array was stored as its config)');
  t.equal((await app.inject({ method: 'POST', url: '/v1/streams/ok/events', headers: { 'content-type': 'application/x-ndjson' }, payload: '{"a":1}\n{"a":2}' })).statusCode, 201, 'NDJSON ingest still works');
});
