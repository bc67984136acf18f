// Shared by the push tests: a listening app, events, queries, caught-up waits and row comparison.
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { startApp } from './app.js';
import { waitUntil } from './wait.js';
import { LiveClient, type LiveClientOptions } from '@streamgate/client';

export const FAST = { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', PUSH_BLOCK_TIME: '200ms' };

/** The real app on a real port (WebSockets need a socket, not inject). */
export async function listening(t: Test, redisUrl: string, env: Record<string, string> = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = await startApp(t, redisUrl, { ...FAST, ...env });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { app, url: `http://127.0.0.1:${addr.port}` };
}

export async function post(app: FastifyInstance, stream: string, events: unknown[]): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/v1/streams/${stream}/events`, payload: events });
  if (res.statusCode !== 201) throw new Error(res.body);
}

export async function createQuery(app: FastifyInstance, sql: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql, start: 'earliest', ...extra } });
  if (res.statusCode !== 201) throw new Error(res.body);
  return res.json<{ id: string }>().id;
}

export async function caughtUp(app: FastifyInstance, id: string): Promise<void> {
  await waitUntil(`query ${id} caught up`, async () => {
    const q = (await app.inject({ method: 'GET', url: `/v1/queries/${id}` })).json<{ lag: number; partitionStatus: { owner: string | null }[] }>();
    return q.lag === 0 && q.partitionStatus.every((p) => p.owner) ? q : undefined;
  }, 30_000);
}

export async function pull(app: FastifyInstance, id: string): Promise<Record<string, unknown>[]> {
  return (await app.inject({ method: 'GET', url: `/v1/queries/${id}/results?limit=10000` })).json<{ rows: Record<string, unknown>[] }>().rows;
}

/** Rows as a sorted list of JSON texts, so that two row sets compare as multisets. */
export function canon(rows: Iterable<Record<string, unknown>>): string[] {
  return [...rows].map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
}

/** Waits until a client's rows equal the pull results (the changes of the last commit may still be in flight). */
export async function converged(app: FastifyInstance, id: string, client: LiveClient, what: string): Promise<string[]> {
  let last: { pulled: string[]; pushed: string[] } = { pulled: [], pushed: [] };
  try {
    return await waitUntil(what, async () => {
      const pulled = canon(await pull(app, id));
      const pushed = canon(client.rows.values());
      last = { pulled, pushed };
      return JSON.stringify(pulled) === JSON.stringify(pushed) ? pulled : undefined;
    }, 10_000, 50);
  } catch (err) {
    throw new Error(`${(err as Error).message}\npulled ${JSON.stringify(last.pulled).slice(0, 800)}\npushed ${JSON.stringify(last.pushed).slice(0, 800)}`, { cause: err });
  }
}

export function client(t: Test, opts: LiveClientOptions): LiveClient {
  const c = new LiveClient(opts).start();
  t.teardown(() => c.close());
  return c;
}

/** Opens when the client's first connection is open. */
export async function opened(c: LiveClient): Promise<void> {
  await waitUntil('client connected', async () => c.connections > 0, 10_000, 10);
}
