// Loads every Redis Function library in ./functions (one function per file) on every primary and
// calls them by name. Library and function names carry a hash of their code, so two gateway
// versions running side by side during a rolling deploy each call their own code instead of
// replacing each other's.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../util/project-root.js';
import type { Redis } from './client.js';
import { withDeadline } from './deadline.js';
import { primaryClients, sendKeyed } from './topology.js';
import { retryTransient } from './cluster-retry.js';
import { awaitReplicas } from './replica-wait.js';

/** A call that takes longer is answered as an outage (503), not left hanging on a stalled Redis. */
const CALL_DEADLINE_MS = 5_000;

interface Library {
  code: string;
  /** Function name in the .lua file → the versioned name registered in Redis. */
  names: Map<string, string>;
}

let libraries: Library[] | undefined;
/** Every function's versioned name, from all libraries: looked up on every call. */
let versionedNames: Map<string, string> | undefined;

/** The file's code with its library and function names suffixed by the code's hash. */
function versioned(source: string): Library {
  const version = createHash('sha1').update(source).digest('hex').slice(0, 10);
  const names = new Map<string, string>();
  const code = source
    .replace(/^#!lua name=(\w+)/, (_, lib: string) => `#!lua name=${lib}_${version}`)
    .replace(/(register_function\(\s*'|function_name\s*=\s*')(\w+)'/g, (_, head: string, name: string) => {
      names.set(name, `${name}_${version}`);
      return `${head}${name}_${version}'`;
    });
  return { code, names };
}

function readLibraries(): Library[] {
  if (!libraries) {
    const dir = join(projectRoot(), 'src', 'redis', 'functions');
    libraries = readdirSync(dir)
      .filter((f) => f.endsWith('.lua'))
      .sort()
      .map((f) => versioned(readFileSync(join(dir, f), 'utf8')));
    versionedNames = new Map(libraries.flatMap((lib) => [...lib.names]));
  }
  return libraries;
}

/** The name a function of ours is registered under in Redis (with its code's version). */
export function functionName(name: string): string {
  readLibraries();
  const found = versionedNames!.get(name);
  if (found) return found;
  throw new Error(`no Redis function named ${name} in src/redis/functions`);
}

/**
 * FUNCTION LOAD REPLACE of every library on every primary: idempotent (same code, same name), so
 * safe at start-up, after each reconnect and when a node joins.
 */
export async function loadFunctions(redis: Redis): Promise<void> {
  const nodes = await primaryClients(redis);
  const loaded = await Promise.allSettled(nodes.map(async (node) => {
    for (const lib of readLibraries()) await node.functionLoad(lib.code, { REPLACE: true });
  }));
  // A primary that is down gets them when it is back (its first FCALL answers "not found"); only
  // when none took them is there nothing to call.
  const failed = loaded.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === loaded.length && failed[0]) throw failed[0].reason;
}

function isMissingFunction(err: unknown): boolean {
  return err instanceof Error && /Function not found/i.test(err.message);
}

// The command array is built by concatenation, never by spreading the arguments into a call: a
// 50,000-event write has hundreds of thousands of them, past what a spread can pass on the stack.
function fcall(redis: Redis, name: string, keys: string[], args: string[]): Promise<unknown> {
  return sendKeyed(redis, keys[0], ['FCALL', functionName(name), String(keys.length)].concat(keys, args));
}

/**
 * FCALL, reloading the libraries once when Redis answers that the function is missing (a restart
 * without persistence, FUNCTION FLUSH, a new node), and retrying a cluster's transient refusals
 * (TRYAGAIN while a slot migrates, CLUSTERDOWN during a failover) with a short jittered backoff.
 */
export async function callFunction(redis: Redis, name: string, keys: string[], args: string[]): Promise<unknown> {
  const reply = await retryTransient(async () => {
    try {
      return await withDeadline(fcall(redis, name, keys, args), CALL_DEADLINE_MS);
    } catch (err) {
      if (!isMissingFunction(err)) throw err;
      await loadFunctions(redis);
      return withDeadline(fcall(redis, name, keys, args), CALL_DEADLINE_MS);
    }
  });
  if (ACKNOWLEDGED_WRITES.has(name)) await awaitReplicas(redis, keys[0]!);
  return reply;
}

/** The writes a client or a checkpoint relies on: with REDIS_WAIT_REPLICAS they wait for replicas. */
const ACKNOWLEDGED_WRITES = new Set(['ingest_events', 'commit_batch']);
