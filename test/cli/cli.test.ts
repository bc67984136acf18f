// The `streamgate` CLI against a real gateway and redis-server: what it prints and its exit codes.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveGateway, ADMIN_KEY } from '../helpers/live-gateway.js';
import { cli, startCli } from '../helpers/cli.js';
import { waitUntil } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('--help for every command', async (t) => {
  for (const cmd of ['post', 'gen', 'queries', 'tail', 'sql']) {
    const r = await cli(t, [cmd, '--help'], {});
    t.equal(r.code, 0, `${cmd} --help exits 0`);
    t.match(r.stdout, new RegExp(`^Usage: streamgate ${cmd}`), `${cmd} --help prints its usage`);
  }
  const r = await cli(t, ['nope'], {});
  t.equal(r.code, 2, 'an unknown command is a usage error');
  t.match(r.stderr, /unknown command nope/);
});

t.test('post, gen, queries and tail --json', async (t) => {
  const g = await liveGateway(t);
  const env = { STREAMGATE_URL: g.url, STREAMGATE_API_KEY: ADMIN_KEY };

  // NDJSON on stdin, in batches of 500.
  const ndjson = Array.from({ length: 1200 }, (_, i) => JSON.stringify({ k: `k${i % 3}`, amount: i })).join('\n');
  let r = await cli(t, ['post', 'orders', '--json'], env, ndjson);
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { stream: 'orders', events: 1200, batches: 3 }, 'NDJSON from stdin in 3 batches');

  // A JSON array from a file, and a pretty-printed object.
  writeFileSync(join(dir, 'a.json'), JSON.stringify([{ k: 'k0', amount: 1 }, { k: 'k9', amount: 2 }], null, 2));
  writeFileSync(join(dir, 'o.json'), JSON.stringify({ k: 'k1', amount: 5 }, null, 2));
  r = await cli(t, ['post', 'orders', join(dir, 'a.json'), '--json'], env);
  t.match(JSON.parse(r.stdout), { events: 2, batches: 1 }, 'a JSON array from a file');
  r = await cli(t, ['post', 'orders', join(dir, 'o.json')], env);
  t.equal(r.code, 0);
  t.match(r.stderr, /^1 event\(s\) posted to orders in 1 batch\(es\)/m, 'a summary on stderr');

  // The gateway refuses the second batch: its reason names the event by its index in the whole input.
  await g.call('PUT', '/v1/streams/strict', { schema: { type: 'object', required: ['amount'], properties: { amount: { type: 'number' } } } });
  const bad = Array.from({ length: 7 }, (_, i) => JSON.stringify(i === 5 ? { amount: 'many' } : { amount: i })).join('\n');
  r = await cli(t, ['post', 'strict', '--batch', '3'], env, bad);
  t.equal(r.code, 1, 'a refused batch fails the run');
  t.match(r.stderr, /400 SG_ERR_BAD_EVENTS/, 'the problem code');
  t.match(r.stderr, /event 5, field \/amount: must be number/, 'the failing event by its index in the input, and the field');
  t.match(r.stderr, /input lines 6/, 'and its input line');
  t.match(r.stderr, /3 event\(s\) before this batch were written/, 'what was written before it');
  r = await cli(t, ['post', 'orders'], { STREAMGATE_URL: g.url }, '{"k":1}');
  t.equal(r.code, 1, 'no key: refused');
  t.match(r.stderr, /401 SG_ERR_UNAUTHORIZED/);

  // queries: create from a file, list, pause, resume.
  writeFileSync(join(dir, 'totals.sql'), 'SELECT k, COUNT(*) AS n, SUM(amount) AS total\nFROM orders\nGROUP BY k;\n');
  r = await cli(t, ['queries', 'create', join(dir, 'totals.sql'), '--name', 'totals', '--start', 'earliest'], env);
  t.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  t.match(id, /^q_[0-9a-f]{16}$/, 'create prints the new id');
  await g.caughtUp(id);
  r = await cli(t, ['queries', 'ls', '--json'], env);
  const listed = (JSON.parse(r.stdout) as { id: string; name: string; lag: number }[]).find((q) => q.id === id);
  t.match(listed, { name: 'totals', lag: 0 }, 'ls --json');
  r = await cli(t, ['queries', 'ls'], env);
  t.match(r.stdout, /^id\s+name\s+status\s+lag\s+throughput/, 'ls prints a table');
  t.match(r.stdout, new RegExp(`${id}\\s+totals\\s+running\\s+0`));
  r = await cli(t, ['queries', 'pause', 'totals'], env);
  t.equal(r.stdout, `paused ${id} (totals)\n`, 'pause by name');
  t.equal((await g.call<{ status: string }>('GET', `/v1/queries/${id}`)).status, 'paused');
  r = await cli(t, ['queries', 'resume', id], env);
  t.equal(r.stdout, `resumed ${id} (totals)\n`, 'resume by id');
  r = await cli(t, ['queries', 'rm', 'nothing-by-this-name'], env);
  t.equal(r.code, 1);
  t.match(r.stderr, /404 SG_ERR_QUERY_NOT_FOUND/, 'an unknown name');
  writeFileSync(join(dir, 'bad.sql'), 'SELECT k FROM orders ORDER BY k');
  r = await cli(t, ['queries', 'create', join(dir, 'bad.sql')], env);
  t.equal(r.code, 1, 'refused SQL');
  t.match(r.stderr, /400 SG_ERR_SQL.*\n.*line \d+:\d+/, 'with its line and column');

  // tail --json: the snapshot rows, then one line per change.
  await g.caughtUp(id);
  const tail = startCli(t, ['tail', 'totals', '--json'], env);
  const lines = () => tail.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { op: string; key: string; row: { k: string | null; n: number }; offset: string });
  await waitUntil('the snapshot', async () => lines().length >= 4, 20_000);
  t.same(lines().map((l) => [l.op, l.row.k, l.row.n]).sort(), [['snapshot', 'k0', 401], ['snapshot', 'k1', 401], ['snapshot', 'k2', 400], ['snapshot', 'k9', 1]], 'one line per snapshot row');

  // gen: 300 orders (no `k`: one more group, k null), then their changes on the tail.
  r = await cli(t, ['gen', 'orders', '--stream', 'orders', '--count', '300', '--rate', '1000', '--keys', '5', '--seed', '3', '--json'], env);
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { stream: 'orders', events: 300 }, 'gen posted 300 events');
  await waitUntil('the changes of the generated orders', async () => lines().some((l) => l.row.k === null && l.row.n === 300), 20_000);
  t.ok(lines().slice(4).every((l) => l.op === 'upsert' && l.row.k === null && /^\d+-\d+$/.test(l.offset)), 'then one line per change, each with its offset');
  tail.child.kill('SIGINT');
  t.equal(await tail.exited, 0, 'Ctrl-C ends tail cleanly');
});

t.test('gen --stdout: the same events for the same seed, some late and out of order', async (t) => {
  const a = await cli(t, ['gen', 'sensors', '--stdout', '--count', '400', '--seed', '11', '--keys', '8', '--late', '0.25'], {});
  const b = await cli(t, ['gen', 'sensors', '--stdout', '--count', '400', '--seed', '11', '--keys', '8', '--late', '0.25'], {});
  t.equal(a.code, 0, a.stderr);
  const parse = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as { sensor: string; temperature: number; ts: string });
  const ea = parse(a.stdout);
  t.equal(ea.length, 400);
  t.same(ea.map(({ ts: _ts, ...rest }) => rest), parse(b.stdout).map(({ ts: _ts, ...rest }) => rest), 'the same seed, the same events');
  t.equal(new Set(ea.map((e) => e.sensor)).size, 8, '--keys distinct sensors');
  let newest = 0;
  let late = 0;
  for (const e of ea) {
    const ts = Date.parse(e.ts);
    if (ts < newest - 900) late++;
    newest = Math.max(newest, ts);
  }
  t.ok(late > 60 && late < 140, `about a quarter late, behind the newest by a second or more (${late} of 400)`);
});
