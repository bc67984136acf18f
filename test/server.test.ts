// The real entry point as a child process: its own redis-server when REDIS_URL is unset,
// clear one-line start-up failures, and a clean SIGTERM shutdown.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../src/redis/local-server.js';
import { gatewayArgs } from './helpers/gateway.js';

const ROOT = join(import.meta.dirname, '..');

function startServer(env: Record<string, string>, ownGroup = false): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, gatewayArgs(), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A terminal runs the gateway as its own foreground process group and sends Ctrl-C to it all.
    detached: ownGroup,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  return { child, output: () => out, exited };
}

async function waitFor(url: string, ms: number): Promise<Response | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      return await fetch(url);
    } catch {
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  return undefined;
}

function logLines(output: string): { level: number; msg: string }[] {
  return output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('with no REDIS_URL it starts its own persistent redis-server, serves, and stops it on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-data-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const s = startServer({ PORT: String(port), DATA_DIR: dataDir });
  t.teardown(() => s.child.kill('SIGKILL'));
  const health = await waitFor(`http://127.0.0.1:${port}/healthz`, 20_000);
  t.equal(health?.status, 200, '/healthz answers');
  const post = await fetch(`http://127.0.0.1:${port}/v1/streams/s/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  t.equal(post.status, 201);
  t.match(s.output(), /started a local redis-server with AOF persistence/);
  t.match(s.output(), /auth is OFF/);
  t.match(s.output(), `streamgate is serving at http://127.0.0.1:${port}: console http://127.0.0.1:${port}/ · API docs http://127.0.0.1:${port}/docs · metrics http://127.0.0.1:${port}/metrics`, 'the log says where the console, the docs and the metrics are');
  const warnings = logLines(s.output()).filter((l) => l.level >= 40);
  t.same(warnings.map((l) => l.msg), ['auth is OFF: no API_KEYS configured, every request is allowed'], 'a clean start warns only that auth is off');
  const pidMatch = /"redisPid":(\d+)/.exec(s.output());
  t.ok(pidMatch, 'the log names the redis-server pid');
  const redisPid = Number(pidMatch?.[1]);
  t.ok(alive(redisPid), 'redis-server child is running');
  s.child.kill('SIGTERM');
  t.equal(await s.exited, 0, 'exits cleanly');
  t.notOk(alive(redisPid), 'redis-server child stopped');
  t.match(s.output(), /shutting down/);
});

t.test('no redis-server binary and no REDIS_URL: exits naming the install command and REDIS_URL', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-data-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const s = startServer({ PORT: String(await freePort()), DATA_DIR: dataDir, PATH: '/nonexistent' });
  t.equal(await s.exited, 1);
  t.match(s.output(), /redis-server is not installed/);
  t.match(s.output(), /apt-get install redis-server/);
  t.match(s.output(), /REDIS_URL/);
});

t.test('a bad configuration value stops start-up with one line naming the variable', async (t) => {
  const s = startServer({ PORT: 'eighty' });
  t.equal(await s.exited, 1);
  t.equal(s.output().trim().split('\n').length, 1, 'one line');
  t.match(s.output(), /invalid configuration: PORT must be integer \(got "eighty"\)/);
  const k = startServer({ API_KEYS: 'abc123:ingest' });
  t.equal(await k.exited, 1);
  t.match(k.output(), /API_KEYS/);
  t.notMatch(k.output(), /abc123/, 'the key itself is not printed');
});

t.test('with auth on, the log says so and never prints a key', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-data-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const key = 'secret-key-0123456789abcdef';
  const s = startServer({ PORT: String(port), DATA_DIR: dataDir, API_KEYS: `${key}:ingest`, LOG_LEVEL: 'debug' });
  t.teardown(() => s.child.kill('SIGKILL'));
  t.equal((await waitFor(`http://127.0.0.1:${port}/healthz`, 20_000))?.status, 200);
  const res = await fetch(`http://127.0.0.1:${port}/v1/streams/s/events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: '{"a":1}' });
  t.equal(res.status, 201);
  s.child.kill('SIGTERM');
  await s.exited;
  t.match(s.output(), /auth is ON/);
  t.notMatch(s.output(), key, 'the key is never logged');
  t.same(logLines(s.output()).filter((l) => l.level >= 40), [], 'with auth on, a clean start and stop log no warning at all');
});

t.test('Ctrl-C drains the gateway, then stops its own redis-server, with no warnings', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sg-data-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const s = startServer({ PORT: String(port), DATA_DIR: dataDir, API_KEYS: 'k-0123456789abcdef:admin' }, true);
  let redisPid = 0;
  t.teardown(() => {
    s.child.kill('SIGKILL');
    if (redisPid && alive(redisPid)) process.kill(redisPid, 'SIGKILL');
  });
  t.equal((await waitFor(`http://127.0.0.1:${port}/healthz`, 20_000))?.status, 200);
  redisPid = Number(/"redisPid":(\d+)/.exec(s.output())?.[1]);
  t.ok(alive(redisPid), 'its redis-server runs');
  process.kill(-s.child.pid!, 'SIGINT'); // what a terminal's Ctrl-C does: the whole foreground group
  t.equal(await s.exited, 0, 'the gateway exits cleanly');
  t.notOk(alive(redisPid), 'and has stopped its redis-server');
  const lines = logLines(s.output());
  t.same(lines.filter((l) => l.level >= 40), [], 'no warning or error on the way down');
  t.same(lines.slice(-2).map((l) => l.msg), ['shutting down: draining', 'stopped'], 'drained, then stopped');
});

t.test('an unreachable Redis: retries logged with backoff, then a clear exit after REDIS_CONNECT_TIMEOUT', async (t) => {
  const closed = await freePort();
  const started = Date.now();
  const s = startServer({ PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${closed}`, REDIS_CONNECT_TIMEOUT: '2s' });
  t.teardown(() => s.child.kill('SIGKILL'));
  t.equal(await s.exited, 1, 'exits with status 1');
  t.ok(Date.now() - started < 30_000, 'does not hang');
  const retries = logLines(s.output()).filter((l) => l.msg === 'Redis is not reachable yet; retrying') as unknown as { retryInMs: number }[];
  t.ok(retries.length >= 2, `each retry is logged (${retries.length})`);
  t.ok(retries[1]!.retryInMs > retries[0]!.retryInMs, 'with a growing wait');
  t.match(s.output(), /streamgate: Redis did not answer within 2 s \(REDIS_CONNECT_TIMEOUT\), after \d+ attempts: connect ECONNREFUSED/);
});

t.test('LOG_FORMAT=pretty writes lines for people, not JSON', async (t) => {
  const s = startServer({ PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_CONNECT_TIMEOUT: '300ms', LOG_FORMAT: 'pretty' });
  t.teardown(() => s.child.kill('SIGKILL'));
  await s.exited;
  t.match(s.output(), /\] INFO: using Redis at REDIS_URL/);
  t.match(s.output(), /\] WARN: Redis is not reachable yet; retrying/);
  t.same(logLines(s.output()), [], 'no JSON lines');
});
