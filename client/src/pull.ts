// Pull helpers over the REST API: a query's current rows and the list of queries.
import type { Row } from './messages.js';

export interface PullOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  apiKey?: string;
  /** Defaults to globalThis.fetch. */
  fetch?: typeof fetch;
}

/** An `application/problem+json` answer (RFC 9457) as the gateway sends it. */
export interface Problem {
  status: number;
  code?: string;
  title?: string;
  detail?: string;
  errors?: { index?: number; field?: string; message?: string; line?: number; column?: number; code?: string }[];
}

export class StreamgateError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.code ?? problem.title ?? 'error'}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'StreamgateError';
  }
}

export interface QueryInfo {
  id: string;
  name: string;
  sql: string;
  stream: string;
  status: 'running' | 'catching_up' | 'paused' | 'failed';
  lag?: number;
  throughput?: number;
  processed?: number;
  error?: string;
  columns?: { name: string; type: string }[];
  [more: string]: unknown;
}

/** One request; a non-2xx answer throws a StreamgateError carrying the problem. */
export async function request<T>(opts: PullOptions, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
  const res = await (opts.fetch ?? fetch)(new URL(path.replace(/^\//, ''), base), {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) {
    let problem: Problem = { status: res.status, detail: text.slice(0, 500) };
    try {
      problem = { ...(JSON.parse(text) as Problem), status: res.status };
    } catch {
      // not JSON (a proxy in front): keep the text
    }
    throw new StreamgateError(problem);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A query's current rows, sorted by row key, every page followed (up to `max` rows). */
export async function fetchResults<R = Row>(opts: PullOptions & { query: string; where?: string; max?: number }): Promise<R[]> {
  const rows: R[] = [];
  const max = opts.max ?? Infinity;
  let cursor: string | undefined;
  do {
    const qs = new URLSearchParams({ limit: String(Math.min(10_000, max - rows.length)) });
    if (opts.where) qs.set('where', opts.where);
    if (cursor) qs.set('cursor', cursor);
    const page = await request<{ rows: R[]; next?: string }>(opts, 'GET', `/v1/queries/${encodeURIComponent(opts.query)}/results?${qs}`);
    rows.push(...page.rows);
    cursor = page.next;
  } while (cursor && rows.length < max);
  return rows;
}

/** Every query the key may see, with its live status. */
export async function listQueries(opts: PullOptions): Promise<QueryInfo[]> {
  return (await request<{ queries: QueryInfo[] }>(opts, 'GET', '/v1/queries')).queries;
}
