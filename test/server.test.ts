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

function startServer(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, gatewayArgs(), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
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
});
