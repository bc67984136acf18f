// A real gateway process with API keys over its own redis-server, and REST calls to it: the setting
// of the client package's and the CLI's tests, which talk to the gateway only as an app would.
import type { Test } from 'tap';
import { startRedis } from './redis.js';
import { startGateway, type Gateway } from './gateway.js';
import { waitUntil } from './wait.js';

export const ADMIN_KEY = 'admin-key-0123456789abcdef';
export const READER_KEY = 'reader-key-0123456789abcdef';
export const INGEST_KEY = 'ingest-key-0123456789abcdef';

export interface LiveGateway {
  gw: Gateway;
  url: string;
  /** A REST call with the admin key (or `key`); the parsed body, throwing on a status other than `expect`. */
  call<T = unknown>(method: string, path: string, body?: unknown, opts?: { key?: string; expect?: number }): Promise<T>;
  post(stream: string, events: unknown[]): Promise<void>;
  /** Registered with the reader key, so that it owns the query and may subscribe to it. */
  createQuery(sql: string, extra?: Record<string, unknown>): Promise<string>;
  caughtUp(id: string): Promise<void>;
}

export async function liveGateway(t: Test, env: Record<string, string> = {}): Promise<LiveGateway> {
  const r = await startRedis(t);
  const gw = await startGateway({
    REDIS_URL: r.url,
    API_KEYS: `${ADMIN_KEY}:admin;${READER_KEY}:query,subscribe;${INGEST_KEY}:ingest`,
    LOG_LEVEL: 'warn',
    LEASE_TTL: '2s',
    REGISTRY_POLL: '100ms',
    BLOCK_TIME: '50ms',
    PUSH_BLOCK_TIME: '200ms',
    ...env,
  });
  t.teardown(() => gw.kill('SIGKILL'));
  const call = async <T>(method: string, path: string, body?: unknown, opts: { key?: string; expect?: number } = {}): Promise<T> => {
    const res = await fetch(gw.url + path, {
      method,
      headers: { authorization: `Bearer ${opts.key ?? ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status !== (opts.expect ?? res.status) || (opts.expect === undefined && !res.ok)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    gw,
    url: gw.url,
    call,
    post: async (stream, events) => {
      await call('POST', `/v1/streams/${stream}/events`, events, { expect: 201, key: INGEST_KEY });
    },
    createQuery: async (sql, extra = {}) => (await call<{ id: string }>('POST', '/v1/queries', { sql, start: 'earliest', ...extra }, { expect: 201, key: READER_KEY })).id,
    caughtUp: async (id) => {
      await waitUntil(`query ${id} caught up`, async () => {
        const q = await call<{ lag: number; partitionStatus: { owner: string | null }[] }>('GET', `/v1/queries/${id}`);
        return q.lag === 0 && q.partitionStatus.every((p) => p.owner) ? q : undefined;
      }, 30_000);
    },
  };
}
