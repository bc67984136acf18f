// A real gateway child process (src/server.ts) for fault tests: start, wait until serving, signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/** Newest modification time of the TypeScript files under a folder. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * `npm test` compiles everything to dist/ first: a gateway then starts in about half the time it
 * takes through tsx, which adds up over the chaos tests' restarts. A dist older than any source
 * (an edit since the last build, a test run on its own) is not used.
 */
const fromDist = ((): boolean => {
  const server = join(ROOT, 'dist', 'src', 'server.js');
  if (!existsSync(server)) return false;
  return statSync(server).mtimeMs >= Math.max(newestSource(join(ROOT, 'src')), newestSource(join(ROOT, 'plugins')));
})();

/** Node arguments that run the gateway: from dist/ when it is current, else through tsx. */
export function gatewayArgs(telemetry = false): string[] {
  if (fromDist) return [...(telemetry ? ['--import', join(ROOT, 'dist', 'src', 'telemetry', 'preload.js')] : []), join(ROOT, 'dist', 'src', 'server.js')];
  return ['--import', 'tsx', ...(telemetry ? ['--import', join(ROOT, 'src', 'telemetry', 'preload.ts')] : []), join(ROOT, 'src', 'server.ts')];
}

export async function startGateway(env: Record<string, string>, opts: { telemetry?: boolean } = {}): Promise<Gateway> {
  const port = await freePort();
  const child = spawn(process.execPath, gatewayArgs(opts.telemetry ?? false), {
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
