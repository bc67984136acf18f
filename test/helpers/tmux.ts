// A real terminal for tests of full-screen output: a tmux server on its own socket, one session
// running a command, its screen read with capture-pane. The server is killed at teardown.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { waitUntil } from './wait.js';

// Servers still running when the test process exits (a tap timeout skips teardowns) are killed
// here, synchronously, so no terminal outlives its test file.
const live = new Set<() => void>();
process.once('exit', () => {
  for (const kill of live) kill();
});

export interface Terminal {
  /** The visible screen, one string per line. */
  screen(): string;
  /** Types text (literally), then Enter unless `enter` is false. */
  type(text: string, enter?: boolean): void;
  /** Sends a key by tmux name, e.g. C-c, C-d. */
  key(name: string): void;
  waitFor(what: string, test: (screen: string) => boolean, ms?: number): Promise<string>;
}

/** Runs `script` (bash, with `env` exported) in a width x height terminal. */
export function terminal(t: Test, script: string, env: Record<string, string>, width = 120, height = 30): Terminal {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tmux-'));
  // A socket of its own in the test's folder: nothing shared with another tmux, nothing left behind.
  const socket = join(dir, 'sock');
  const file = join(dir, 'run.sh');
  const exports = Object.entries({ TERM: 'xterm-256color', PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env })
    .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
    .join('\n');
  writeFileSync(file, `${exports}\n${script}\n`);
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const kill = () => {
    live.delete(kill);
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  live.add(kill);
  t.teardown(kill);
  tmux('new-session', '-d', '-x', String(width), '-y', String(height), `bash ${file}`);
  const screen = () => tmux('capture-pane', '-p');
  return {
    screen,
    type: (text, enter = true) => {
      // tmux reads an argument ending in `;` as a command separator unless it is escaped.
      tmux('send-keys', '-l', text.endsWith(';') ? `${text.slice(0, -1)}\\;` : text);
      if (enter) tmux('send-keys', 'Enter');
    },
    key: (name) => {
      tmux('send-keys', name);
    },
    waitFor: async (what, test, ms = 20_000) => {
      try {
        return await waitUntil(what, async () => {
          const s = screen();
          return test(s) ? s : undefined;
        }, ms, 100);
      } catch (err) {
        throw new Error(`${(err as Error).message}\nthe screen:\n${screen()}`, { cause: err });
      }
    },
  };
}
