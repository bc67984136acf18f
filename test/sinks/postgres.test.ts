// The PostgreSQL sink: the table follows the query's results (upserts, HAVING deletes), offsets
// live in PostgreSQL, the status shows progress without the password.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';
import { PG_URL, testSchema } from '../helpers/postgres.js';

const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', PUSH_BLOCK_TIME: '200ms' };

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
