// A real gateway child process (src/server.ts) for fault tests: start, wait until serving, signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../src/redis/local-server.js';

const ROOT = join(import.meta.dirname, '..', '..');

// Children still running when the test process exits (a tap timeout skips teardowns) are killed
// here, synchronously, so no gateway outlives its test file.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export interface Gateway {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

export async function startGateway(env: Record<string, string>, opts: { telemetry?: boolean } = {}): Promise<Gateway> {
  const port = await freePort();
  const preload = opts.telemetry ? ['--import', join(ROOT, 'src', 'telemetry', 'preload.ts')] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited during start-up: ${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`gateway did not start within 30 s: ${out}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  return {
    child,
    port,
    url,
    output: () => out,
    exited,
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
