// No client input produces a 500 or a stack trace: random bodies, content types and headers.
import t from 'tap';
import fc from 'fast-check';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';

t.test('random requests never get a 5xx and always get problem+json on error', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { MAX_EVENTS_PER_REQUEST: '50', API_KEYS: '' });
  const body = fc.oneof(
    fc.json(),
    fc.string(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.array(fc.dictionary(fc.constantFrom('ts', 'id', '__proto__', 'constructor', 'a', 'x.y'), fc.jsonValue()), { maxLength: 60 }).map((v) => JSON.stringify(v)),
  );
  const contentType = fc.constantFrom('application/json', 'application/x-ndjson', 'text/plain', 'application/xml', '', 'application/json; charset=utf-8');
  const path = fc.oneof(fc.constant('/v1/streams/fz/events'), fc.string({ maxLength: 20 }).map((s) => `/v1/streams/${encodeURIComponent(s)}/events`), fc.constant('/v1/streams/fz'));
  const method = fc.constantFrom('POST', 'PUT', 'GET', 'DELETE', 'PATCH');
  const idem = fc.option(fc.string({ maxLength: 300 }), { nil: undefined });
  await fc.assert(
    fc.asyncProperty(method, path, contentType, body, idem, async (m, url, ct, payload, key) => {
      const headers: Record<string, string> = {};
      if (ct) headers['content-type'] = ct;
      if (key !== undefined && /^[\x20-\x7e]*$/.test(key)) headers['idempotency-key'] = key;
      const res = await app.inject({ method: m as 'POST', url, headers, payload: m === 'GET' || m === 'DELETE' ? undefined : payload });
      if (res.statusCode >= 500) throw new Error(`${m} ${url} ${ct} → ${res.statusCode} ${res.body}`);
      if (res.statusCode >= 400) {
        if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw new Error(`not problem+json: ${res.statusCode} ${res.body}`);
        if (/\.(ts|js):\d+/.test(res.body)) throw new Error(`stack trace leaked: ${res.body}`);
      }
    }),
    { numRuns: 400, seed: 20261125 },
  );
  t.pass('400 random requests answered without a 5xx');
});
