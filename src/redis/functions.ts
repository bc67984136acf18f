// Loads every Redis Function library in ./functions (one function per file) and calls them,
// reloading once when Redis answers that a function is missing (a restart without persistence).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClientType } from 'redis';
import { projectRoot } from '../util/project-root.js';
import { withDeadline } from './deadline.js';

/** A call that takes longer is answered as an outage (503), not left hanging on a stalled Redis. */
const CALL_DEADLINE_MS = 5_000;

let libraries: string[] | undefined;

function readLibraries(): string[] {
  if (!libraries) {
    const dir = join(projectRoot(), 'src', 'redis', 'functions');
    libraries = readdirSync(dir)
      .filter((f) => f.endsWith('.lua'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8'));
  }
  return libraries;
}

/** FUNCTION LOAD REPLACE of every library: idempotent, so safe at start-up and after each reconnect. */
export async function loadFunctions(client: RedisClientType): Promise<void> {
  for (const code of readLibraries()) await client.functionLoad(code, { REPLACE: true });
}

function isMissingFunction(err: unknown): boolean {
  return err instanceof Error && /Function not found/i.test(err.message);
}

// The command array is built by concatenation, never by spreading the arguments into a call: a
// 50,000-event write has hundreds of thousands of them, past what a spread can pass on the stack.
function fcall(client: RedisClientType, name: string, keys: string[], args: string[]): Promise<unknown> {
  return client.sendCommand(['FCALL', name, String(keys.length)].concat(keys, args));
}

/** FCALL with one reload-and-retry when the function is missing. */
export async function callFunction(
  client: RedisClientType,
  name: string,
  keys: string[],
  args: string[],
): Promise<unknown> {
  try {
    return await withDeadline(fcall(client, name, keys, args), CALL_DEADLINE_MS);
  } catch (err) {
    if (!isMissingFunction(err)) throw err;
    await loadFunctions(client);
    return withDeadline(fcall(client, name, keys, args), CALL_DEADLINE_MS);
  }
}
