// The PostgreSQL sink: the table follows the query's results (upserts, HAVING deletes), offsets
// live in PostgreSQL, the status shows progress without the password.
import t from 'tap';
import { request } from 'node:http';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { FAST } from '../helpers/push.js';
import { waitUntil } from '../helpers/wait.js';
import { PG_URL, testSchema } from '../helpers/postgres.js';


/** Result rows by key column, numbers as numbers (PostgreSQL sends BIGINT and NUMERIC as text). */
function byKey(rows: Record<string, unknown>[], key: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const r of [...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key])))) {
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (!k.startsWith('_')) clean[k] = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    out[String(r[key])] = clean;
  }
  return out;
}

t.test('the table equals the pulled results at every quiet point, HAVING deletes included', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const pg = await testSchema(t);
  const url = PG_URL.replace('postgres@', 'postgres:secret-pw@');
  const created = await app.inject({
    method: 'POST', url: '/v1/queries',
    payload: { sql: 'SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY k HAVING SUM(amount) < 40', start: 'earliest', sinks: [{ type: 'postgres', name: 'pg', url, table: `${pg.name}.totals` }] },
  });
  t.equal(created.statusCode, 201, 'registered with a PostgreSQL sink');
  const q = created.json<{ id: string; sinks: { url: string }[] }>();
  t.notMatch(JSON.stringify(q), 'secret-pw', 'the answer hides the password');
  for (let round = 0; round < 6; round++) {
    const events = Array.from({ length: 40 }, (_, i) => ({ k: 'abcdef'[(i + round) % 6], amount: round % 2 ? -3 : 4 }));
    t.equal((await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: events })).statusCode, 201);
    let seen = '';
    const expected = await waitUntil(`round ${round}: the table equals the results`, async () => {
      const pulled = (await app.inject(`/v1/queries/${q.id}/results`)).json<{ rows: Record<string, unknown>[] }>().rows;
      const table = await pg.rows('totals').catch(() => []);
      const a = JSON.stringify(byKey(pulled, 'k'));
      seen = `${a} vs ${JSON.stringify(byKey(table, 'k'))}`;
      return a === JSON.stringify(byKey(table, 'k')) && (round % 2 === 1 || pulled.length > 0) ? pulled : undefined;
    }, 20_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}: ${seen}`);
    });
    t.ok(true, `round ${round}: ${expected.length} rows agree`);
  }
  const status = await waitUntil('lag 0', async () => {
    const s = (await app.inject(`/v1/queries/${q.id}/sinks`)).json<{ sinks: { lagChanges: number; delivered: number; state: string; config: { url: string } }[] }>().sinks[0]!;
    return s.lagChanges === 0 && s.delivered > 0 ? s : undefined;
  });
  t.equal(status.state, 'running');
  t.notMatch(status.config.url, 'secret-pw', 'the status hides the password');
  const offsets = await pg.pool.query<{ offset: string }>(`SELECT "offset" FROM ${pg.name}.streamgate_sink_offsets`);
  t.match(offsets.rows[0]?.offset, /^\d+-\d+$/, 'the offset lives in PostgreSQL');
});

t.test('a sink that cannot reach PostgreSQL retries and shows the error, then catches up', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const pg = await testSchema(t);
  const created = await app.inject({
    method: 'POST', url: '/v1/queries',
    payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k', start: 'earliest', sinks: [{ type: 'postgres', name: 'pg', url: 'postgres://postgres@127.0.0.1:1/test', table: `${pg.name}.counts` }] },
  });
  const id = created.json<{ id: string }>().id;
  await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: [{ k: 'a' }, { k: 'b' }] });
  const failing = await waitUntil('an error shown', async () => {
    const s = (await app.inject(`/v1/queries/${id}/sinks`)).json<{ sinks: { state: string; lastError: string | null }[] }>().sinks[0]!;
    return s.lastError ? s : undefined;
  });
  t.equal(failing.state, 'retrying');
  t.match(failing.lastError, /ECONNREFUSED/);
  const bad = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k', sinks: [{ type: 'postgres', name: 'x', url: 'http://nope', table: 't' }] } });
  t.equal(bad.statusCode, 400, 'a non-postgres URL is refused');
  t.match(bad.json<{ errors: { field: string }[] }>().errors[0]!.field, '/sinks/0/url');
});

t.test('sink settings that would reach beyond the database are refused; shown settings hide secrets', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const register = (sink: Record<string, unknown>, sql = 'SELECT k, COUNT(*) AS n FROM s GROUP BY k') => app.inject({ method: 'POST', url: '/v1/queries', payload: { sql, sinks: [sink] } });
  for (const param of ['sslcert=/dev/zero', 'sslkey=/etc/passwd', 'host=/var/run/postgresql', 'options=-c%20x=y', 'password=pw']) {
    const res = await register({ type: 'postgres', name: 'pg', url: `${PG_URL}?${param}`, table: 't' });
    t.equal(res.statusCode, 400, `a URL with ${param} is refused`);
    t.match(res.json<{ errors: { field: string }[] }>().errors[0]!.field, '/sinks/0/url');
  }
  t.equal((await register({ type: 'postgres', name: 'pg', url: `${PG_URL}?sslmode=disable&application_name=x`, table: 't' })).statusCode, 201, 'sslmode and application_name are allowed');
  const reserved = await register({ type: 'postgres', name: 'pg', url: PG_URL, table: 't' }, 'SELECT k AS _key, COUNT(*) AS n FROM s GROUP BY k');
  t.equal(reserved.statusCode, 400, 'an output column named like a sink column is refused');
  t.match(reserved.json<{ detail: string }>().detail, /rename it with AS/);
  const hook = await register({ type: 'webhook', name: 'h', url: 'https://user:pw@hooks.example.com/services/T0/B0/SECRETPATH?token=abc', secret: 'webhook-secret-0123456789' });
  t.equal(hook.statusCode, 201);
  t.notMatch(hook.body, /SECRETPATH|token=abc|user:pw|webhook-secret/, 'a webhook shows only its origin, never its path, query or secret');
  // Sent raw: URL parsers (fetch, inject) would resolve the dots away before the server sees them.
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  for (const name of ['%2E%2E', '..', '.']) {
    const status = await new Promise<number | undefined>((ok) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: `/v1/streams/${name}`, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        ok(res.statusCode);
      });
      req.on('error', () => ok(undefined));
      req.end('{}');
    });
    t.equal(status, 400, `a stream named ${name} (only dots) is refused`);
  }
});

t.test('a sink that starts after windows closed writes them final, and a later snapshot keeps them', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const pg = await testSchema(t);
  // The sink's schema does not exist yet: it fails and retries while the windows close.
  const schema = `${pg.name}_late`;
  t.teardown(() => pg.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  const created = await app.inject({
    method: 'POST', url: '/v1/queries',
    payload: { sql: "SELECT k, COUNT(*) AS n, window_start FROM s GROUP BY k, TUMBLE(ts, INTERVAL '1' SECOND)", start: 'earliest', sinks: [{ type: 'postgres', name: 'pg', url: PG_URL, table: `${schema}.windows` }] },
  });
  const id = created.json<{ id: string }>().id;
  const base = Date.UTC(2026, 0, 1);
  await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: [0, 100, 1100, 1200, 2100, 5000].map((ms, i) => ({ k: `k${i % 2}`, ts: base + ms })) });
  await waitUntil('the sink failing on the missing schema', async () => (await app.inject(`/v1/queries/${id}/sinks`)).json<{ sinks: { lastError: string | null }[] }>().sinks[0]!.lastError !== null);
  await waitUntil('windows closed', async () => (await app.inject(`/v1/queries/${id}/results`)).json<{ rows: unknown[] }>().rows.length >= 4);
  await pg.pool.query(`CREATE SCHEMA ${schema}`);
  const rows = await waitUntil('the snapshot written', async () => {
    const got = (await pg.pool.query<{ window_start: Date; _final: boolean }>(`SELECT window_start, _final FROM ${schema}.windows ORDER BY window_start`).catch(() => ({ rows: [] }))).rows;
    return got.length >= 4 ? got : undefined;
  });
  const closed = rows.filter((x) => x.window_start.getTime() < base + 5000);
  t.ok(closed.length >= 3 && closed.every((x) => x._final), `the ${closed.length} closed windows are final in the table`);
  t.notOk(rows.find((x) => x.window_start.getTime() === base + 5000)?._final, 'the open window is not');
});

t.test('SINK_ALLOWED_HOSTS: a sink may name only the listed hosts', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { ...FAST, SINK_ALLOWED_HOSTS: '127.0.0.1,*.hooks.example.com' });
  const register = (sink: Record<string, unknown>) => app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k', sinks: [sink] } });
  const hook = (url: string) => ({ type: 'webhook', name: 'h', url, secret: 'webhook-secret-0123456789' });
  t.equal((await register({ type: 'postgres', name: 'pg', url: PG_URL, table: 't' })).statusCode, 201, '127.0.0.1 is listed');
  t.equal((await register(hook('https://a.hooks.example.com/x'))).statusCode, 201, 'a subdomain of *.hooks.example.com is listed');
  for (const url of ['http://10.0.0.5/hook', 'http://169.254.169.254/latest/meta-data', 'https://hooks.example.com.evil.test/x', 'http://localhost:9/x']) {
    const res = await register(hook(url));
    t.equal(res.statusCode, 400, `${url} is refused`);
    t.match(res.json<{ detail: string }>().detail, /SINK_ALLOWED_HOSTS/);
  }
});
