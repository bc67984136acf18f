// `npm start` on an unchanged checkout does not compile: a restart reaches /healthz about as fast
// as starting the built server with node directly (the baseline, measured in the same run).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startRedis } from './helpers/redis.js';
import { freePort } from '../src/redis/local-server.js';

const ROOT = join(import.meta.dirname, '..');

async function toHealthy(cmd: string, args: string[], env: Record<string, string>): Promise<{ ms: number; output: string }> {
  const port = await freePort();
  const started = performance.now();
  // Its own process group, so that npm, its shell and the gateway all get the signal.
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const stop = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`exited before it was healthy:\n${output}`);
      if (performance.now() - started > 90_000) throw new Error(`not healthy after 90 s:\n${output}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return { ms: performance.now() - started, output };
  } finally {
    stop('SIGTERM');
    const killer = setTimeout(() => stop('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  }
}

t.test('npm start on an unchanged checkout reaches /healthz without compiling', async (t) => {
  // Whatever changed since the last build is built now, outside the measurement.
  const pre = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-if-changed.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  t.equal(pre.status, 0, 'the build is current');
  const r = await startRedis(t);
  const env = { REDIS_URL: r.url, API_KEYS: 'k-0123456789abcdef:admin', LOG_FORMAT: 'json' };
  const direct: number[] = [];
  const npm: number[] = [];
  for (let round = 0; round < 2; round++) {
    direct.push((await toHealthy(process.execPath, ['--import', './dist/src/telemetry/preload.js', 'dist/src/server.js'], env)).ms);
    const run = await toHealthy('npm', ['start', '--silent'], env);
    t.notMatch(run.output, /compiling|building the console/, `round ${round + 1}: nothing was compiled`);
    npm.push(run.ms);
  }
  const best = Math.min(...npm);
  const baseline = Math.min(...direct);
  t.comment(`restart to healthy: npm start ${Math.round(best)} ms, node dist/src/server.js ${Math.round(baseline)} ms (best of 2 each)`);
  // npm itself costs a few hundred ms; a compile would cost tens of seconds.
  t.ok(best < baseline + 1_500, `npm start within 1.5 s of the bare server (${Math.round(best)} vs ${Math.round(baseline)} ms)`);
});
