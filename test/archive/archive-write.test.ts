// The Parquet archive against real components: files by stream, partition and hour that DuckDB
// reads as they are; with archiving on nothing is trimmed that is not archived (archive + stream
// hold every event ever ingested, no entry twice), also when a gateway is SIGKILLed between
// writing a file and marking it archived.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { startGateway } from '../helpers/gateway.js';
import { waitUntil } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';
import { listFiles } from '../../src/archive/layout.js';
import { compareIds } from '../../src/archive/entry-id.js';

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Every entry still in the stream partitions: id → event JSON. */
async function streamEntries(r: TestRedis, stream: string, partitions: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let p = 0; p < partitions; p++) {
    for (const e of (await r.client.xRange(keys.events(part(stream, p, partitions)), '-', '+')) ?? []) out.set(`${p}/${e.id}`, e.message.e!);
  }
  return out;
}

/** Every archived row: "partition/id" → event JSON, failing on an id archived twice. */
async function archivedEntries(t: Test, dir: string, stream: string): Promise<Map<string, string>> {
  const rows = await duck(`SELECT partition, id, event FROM read_parquet('${join(dir, stream)}/**/*.parquet')`);
  const out = new Map<string, string>();
  for (const row of rows) {
    const k = `${String(row.partition)}/${String(row.id)}`;
    if (out.has(k)) t.fail(`entry ${k} archived twice`);
    out.set(k, String(row.event));
  }
  return out;
}

async function post(url: string | FastifyInstance, stream: string, events: object[]): Promise<void> {
  if (typeof url === 'string') {
    const res = await fetch(`${url}/v1/streams/${stream}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
    if (res.status !== 201) throw new Error(await res.text());
    return;
  }
  const res = await url.inject({ method: 'POST', url: `/v1/streams/${stream}/events`, payload: events });
  if (res.statusCode !== 201) throw new Error(res.body);
}

t.test('entries past the retention go to Parquet files by stream/partition/hour before the trim; DuckDB reads them; nothing is lost or doubled', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-archive-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await startRedis(t);
  // Passes are driven by the test, so that archive and trim interleave with ingest at known points.
  const app = await startApp(t, r.url, { ARCHIVE_DIR: dir, RETENTION_INTERVAL: '0ms' });
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/orders', payload: { archive: true, partitions: 2, partitionKey: 'user', retention: { maxLength: 50 } } })).statusCode, 200);
  t.equal((await app.inject({ method: 'PUT', url: '/v1/streams/plain', payload: { retention: { maxLength: 5 } } })).statusCode, 200);
  const rand = rng(7);
  const sent = new Map<string, string>();
  let n = 0;
  for (let round = 0; round < 8; round++) {
    const events = Array.from({ length: 40 + Math.floor(rand() * 120) }, () => ({ n: n++, user: `u${Math.floor(rand() * 9)}`, amount: Math.round(rand() * 10_000) / 100, ts: Date.now() - Math.floor(rand() * 5_000) }));
    const res = await app.inject({ method: 'POST', url: '/v1/streams/orders/events', payload: events });
    t.equal(res.statusCode, 201);
    const body = res.json<{ ids: string[]; partitions?: number[] }>();
    body.ids.forEach((id, i) => sent.set(`${body.partitions?.[i] ?? 0}/${id}`, JSON.stringify(events[i])));
    await post(app, 'plain', [{ n }]);
    if (round % 2 === 1) await app.sg.retention.pass();
  }
  await app.sg.retention.pass();

  const archived = await archivedEntries(t, dir, 'orders');
  const live = await streamEntries(r, 'orders', 2);
  t.ok(archived.size > 0, `${archived.size} entries archived`);
  t.ok(live.size <= 2 * 50 + 2 * 0, 'the retention was applied to the stream');
  for (const k of live.keys()) if (archived.has(k)) t.fail(`${k} is both archived and still in the stream after the trim`);
  t.equal(archived.size + live.size, sent.size, 'count(archive) + XLEN == every event ever ingested');
  let wrong = 0;
  for (const [k, json] of sent) {
    const got = archived.get(k) ?? live.get(k);
    if (got === undefined || JSON.parse(got).n !== JSON.parse(json).n) wrong++;
  }
  t.equal(wrong, 0, 'every event is in the archive or the stream, with its data');

  // Layout: ARCHIVE_DIR/<stream>/p=<partition>/hour=<UTC hour>/<firstId>-<lastId>.parquet, by arrival hour.
  t.same(readdirSync(join(dir, 'orders')).sort(), ['p=0', 'p=1']);
  t.notOk(existsSync(join(dir, 'plain')), 'a stream without archive: true is not archived');
  for (const p of [0, 1]) {
    const files = await listFiles(dir, 'orders', p);
    for (let i = 1; i < files.length; i++) t.ok(compareIds(files[i - 1]!.lastId, files[i]!.firstId) < 0, 'files of a partition do not overlap');
    for (const f of files) t.match(f.path, new RegExp(`/orders/p=${p}/hour=${new Date(Number(f.firstId.split('-')[0])).toISOString().slice(0, 13)}/${f.firstId}-${f.lastId}\\.parquet$`));
    t.equal(await r.client.get(keys.archived(part('orders', p, 2))), files[files.length - 1]?.lastId ?? null, 'the high-water id is the last file\'s last id');
  }
  const [types] = await duck(`SELECT any_value(typeof(id)) AS id, any_value(typeof(event_time)) AS et, any_value(typeof(arrival_time)) AS at, any_value(typeof(event)) AS ev, any_value(typeof(partition)) AS p,
    sum(CAST(json_extract(event, '$.amount') AS DOUBLE)) AS amount FROM read_parquet('${dir}/orders/**/*.parquet')`);
  t.match(types, { id: 'VARCHAR', et: 'TIMESTAMP', at: 'TIMESTAMP', ev: 'VARCHAR', p: 'INTEGER' });
  const expected = [...sent].filter(([k]) => archived.has(k)).reduce((s, [, json]) => s + (JSON.parse(json) as { amount: number }).amount, 0);
  t.ok(Math.abs(Number(types!.amount) - expected) < 1e-6, 'the event JSON reads back in DuckDB');
});

t.test('a gateway SIGKILLed between writing a file and marking it neither loses nor doubles an entry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-archive-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await startRedis(t);
  const env = { REDIS_URL: r.url, ARCHIVE_DIR: dir, RETENTION_INTERVAL: '100ms', LOG_LEVEL: 'warn' };
  // The first gateway waits 8 s between a file's rename and its mark: the kill lands there.
  const first = await startGateway({ ...env, SG_TEST_ARCHIVE_DELAY_MS: '8000' });
  t.teardown(() => first.kill());
  const put = await fetch(`${first.url}/v1/streams/s`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ archive: true, retention: { maxLength: 10 } }) });
  t.equal(put.status, 200);
  const total = 300;
  for (let i = 0; i < total; i += 50) await post(first.url, 's', Array.from({ length: 50 }, (_, j) => ({ n: i + j })));
  const hw = keys.archived(part('s', 0));
  const orphan = await waitUntil('a file written but not yet marked', async () => {
    const files = await listFiles(dir, 's', 0);
    return files.length > 0 && (await r.client.get(hw)) === null ? files : undefined;
  });
  await first.kill('SIGKILL');
  t.equal(orphan.length, 1, 'one file was durable when the process died');
  t.equal(await r.client.xLen(keys.events(part('s', 0))), total, 'nothing was trimmed: the file was not marked');
  // What a kill during a write leaves: the next pass under the lock removes it.
  const temp = join(dirname(orphan[0]!.path), '.tmp-0123456789ab');
  writeFileSync(temp, 'half a file');

  const second = await startGateway(env);
  t.teardown(() => second.kill());
  // After the dead process's archive lock expires (10 s).
  await waitUntil('the rest archived and trimmed', async () => (await r.client.xLen(keys.events(part('s', 0)))) === 10, 30_000);
  const archived = await archivedEntries(t, dir, 's');
  const live = await streamEntries(r, 's', 1);
  t.equal(archived.size + live.size, total, 'archive + stream == every event ingested');
  const ns = [...archived.values(), ...live.values()].map((e) => (JSON.parse(e) as { n: number }).n).sort((a, b) => a - b);
  t.same(ns, Array.from({ length: total }, (_, i) => i), 'each event exactly once');
  t.equal(await r.client.get(hw), (await listFiles(dir, 's', 0)).at(-1)?.lastId);
  t.notOk(existsSync(temp), 'the temporary file of an unfinished write was removed');
});
