// The gateway's REST API, as the console uses it: JSON in, JSON or problem+json out.
import { apiKey } from './key';

export interface Column { name: string; type: string }

export interface StreamConfig { name: string; partitions: number; timeField: string; createdAt: string }
export interface StreamInfo extends StreamConfig { length: number; lastEntryId: string | null }

export type QueryStatus = 'running' | 'catching_up' | 'paused' | 'failed';

export interface Query {
  id: string;
  name: string;
  sql: string;
  stream: string;
  status: QueryStatus;
  emit?: string;
  error?: string;
  columns?: Column[];
  explain?: string;
  lag?: number;
  processed?: number;
  throughput?: number;
  watermark?: string | null;
  /** End-to-end latency over the last 30 s, milliseconds. */
  latencyMs?: { p50: number | null; p99: number | null };
  late?: number;
  sinkStatus?: SinkStatus[];
}

export interface SinkStatus {
  name: string;
  type: string;
  state: string;
  delivered: number;
  deadLettered: number;
  lagChanges: number;
  lagMs: number;
  lastError: string | null;
}

export interface Alert { name?: string; kind: string; query?: string; since?: string; message?: string }

export interface Validation { valid: boolean; stream: string; columns: Column[]; explain: string }

export interface ProblemDetail { message: string; code?: string; line?: number; column?: number; field?: string }

/** A refused request, carrying the problem+json the gateway answered with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: ProblemDetail[] = [],
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const detail = typeof json.detail === 'string' ? json.detail : res.statusText;
    throw new ApiError(res.status, typeof json.code === 'string' ? json.code : 'HTTP_' + res.status, detail, (json.errors as ProblemDetail[] | undefined) ?? []);
  }
  return json as T;
}

export const api = {
  streams: async () => (await call<{ streams: StreamConfig[] }>('GET', '/v1/streams')).streams,
  stream: (name: string) => call<StreamInfo>('GET', `/v1/streams/${encodeURIComponent(name)}`),
  queries: async () => (await call<{ queries: Query[] }>('GET', '/v1/queries')).queries,
  query: (id: string) => call<Query>('GET', `/v1/queries/${encodeURIComponent(id)}`),
  alerts: async () => (await call<{ alerts: Alert[] }>('GET', '/v1/alerts')).alerts,
  validate: (sql: string) => call<Validation>('POST', '/v1/queries/validate', { sql }),
  register: (input: { sql: string; name?: string; start: string; emit: string }) => call<Query>('POST', '/v1/queries', input),
  pause: (id: string) => call<Query>('POST', `/v1/queries/${encodeURIComponent(id)}/pause`),
  resume: (id: string) => call<Query>('POST', `/v1/queries/${encodeURIComponent(id)}/resume`),
  remove: (id: string) => call<void>('DELETE', `/v1/queries/${encodeURIComponent(id)}`),
};
