// Runs the `streamgate` CLI as a child process (through tsx, so a stale dist/ never answers), with
// the gateway and key in its environment, and collects what it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Test } from 'tap';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startCli(t: Test, args: string[], env: Record<string, string>, input?: string): CliProcess {
  const child = spawn(process.execPath, [...CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  if (input !== undefined) child.stdin.end(input);
  return { child, stdout: () => out, stderr: () => err, exited };
}

export async function cli(t: Test, args: string[], env: Record<string, string>, input = ''): Promise<CliResult> {
  const p = startCli(t, args, env, input);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
