// Sinks a query delivers its changes to, as given at registration: checked, stored with the
// definition, and shown without their secrets.
import { AppError } from '../errors.js';

export interface PostgresSinkConfig {
  type: 'postgres';
  name: string;
  /** postgres://user:pass@host:port/db */
  url: string;
  /** The results table (created when missing), `name` or `schema.name`. */
  table: string;
}

export interface WebhookSinkConfig {
  type: 'webhook';
  name: string;
  url: string;
  /** HMAC-SHA256 key of the X-Streamgate-Signature header. */
  secret: string;
  /** Attempts per batch before it is dead-lettered (default 8). */
  maxAttempts: number;
  /** Batches in flight at once (default 1: in order). */
  concurrency: number;
  /** Changes per POST at most (default 500). */
  batchSize: number;
  /** The first retry's wait; each further one doubles (with jitter), up to 30 s (default 500 ms). */
  retryBaseMs: number;
}

export type SinkConfig = PostgresSinkConfig | WebhookSinkConfig;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TABLE = /^([A-Za-z_][A-Za-z0-9_]{0,62}\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function refuse(index: number, field: string, message: string): never {
  throw new AppError('SG_ERR_VALIDATION', `sinks[${index}].${field} ${message}`, { errors: [{ field: `/sinks/${index}/${field}`, message }] });
}

/**
 * The only query parameters a PostgreSQL sink URL may carry. Others (sslcert, sslkey, host=/path,
 * options=…) would have the gateway read files or connect where the query's author points it.
 */
const PG_PARAMS = new Set(['sslmode', 'application_name', 'connect_timeout']);
const SSL_MODES = new Set(['disable', 'prefer', 'require', 'verify-full']);

function pgUrl(index: number, text: unknown): string {
  const u = new URL(url(index, text, ['postgres:', 'postgresql:']));
  if (!u.hostname) refuse(index, 'url', 'must name a host');
  for (const [k, v] of u.searchParams) {
    if (!PG_PARAMS.has(k)) refuse(index, 'url', `may carry only ${[...PG_PARAMS].join(', ')} as parameters (not ${k})`);
    if (k === 'sslmode' && !SSL_MODES.has(v)) refuse(index, 'url', `sslmode must be one of ${[...SSL_MODES].join(', ')}`);
    if (k === 'connect_timeout' && !/^\d{1,4}$/.test(v)) refuse(index, 'url', 'connect_timeout must be whole seconds');
  }
  return u.toString();
}

function url(index: number, text: unknown, protocols: string[]): string {
  if (typeof text !== 'string') refuse(index, 'url', 'is required');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    refuse(index, 'url', 'is not a URL');
  }
  if (!protocols.includes(u.protocol)) refuse(index, 'url', `must start with ${protocols.join(' or ')}//`);
  return text;
}

function intIn(index: number, field: string, v: unknown, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) refuse(index, field, `must be an integer from ${min} to ${max}`);
  return v;
}

/** Checks the `sinks` of a registration (the OpenAPI schema has checked the shape). */
export function parseSinks(input: unknown): SinkConfig[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw new AppError('SG_ERR_VALIDATION', 'sinks must be an array', { errors: [{ field: '/sinks', message: 'must be an array' }] });
  const names = new Set<string>();
  return input.map((raw: Record<string, unknown>, i) => {
    const name = raw.name;
    if (typeof name !== 'string' || !NAME.test(name)) refuse(i, 'name', 'must be 1 to 64 of A-Z a-z 0-9 _ -');
    if (names.has(name)) refuse(i, 'name', 'is used twice');
    names.add(name);
    if (raw.type === 'postgres') {
      const table = raw.table;
      if (typeof table !== 'string' || !TABLE.test(table)) refuse(i, 'table', 'must be a plain identifier, optionally schema-qualified (letters, digits, _)');
      return { type: 'postgres', name, url: pgUrl(i, raw.url), table };
    }
    if (raw.type === 'webhook') {
      if (typeof raw.secret !== 'string' || raw.secret.length < 16) refuse(i, 'secret', 'must be a string of at least 16 characters');
      return {
        type: 'webhook',
        name,
        url: url(i, raw.url, ['http:', 'https:']),
        secret: raw.secret,
        maxAttempts: intIn(i, 'maxAttempts', raw.maxAttempts, 8, 1, 100),
        concurrency: intIn(i, 'concurrency', raw.concurrency, 1, 1, 32),
        batchSize: intIn(i, 'batchSize', raw.batchSize, 500, 1, 10_000),
        retryBaseMs: intIn(i, 'retryBaseMs', raw.retryBaseMs, 500, 10, 60_000),
      };
    }
    refuse(i, 'type', 'must be postgres or webhook');
  });
}

/**
 * What the API shows of a sink: no password, no secret. A webhook URL's path and query may be a
 * capability (a chat service's hook URL is its secret): only its origin is shown.
 */
export function publicSink(s: SinkConfig): Record<string, unknown> {
  const u = new URL(s.url);
  if (u.password) u.password = '***';
  if (s.type === 'webhook') {
    const { secret: _secret, ...rest } = s;
    u.username = '';
    u.password = '';
    return { ...rest, url: `${u.origin}/…` };
  }
  return { ...s, url: u.toString() };
}

/** `host` is `pattern`, or under it for `*.domain` patterns. */
function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
}

/**
 * With SINK_ALLOWED_HOSTS set, a sink may reach only those hosts: a query's author must not point
 * the gateway at internal services (a webhook's answer and timing tell what is there).
 */
export function checkSinkHosts(sinks: SinkConfig[] | undefined, allowed: readonly string[]): void {
  if (!sinks || allowed.length === 0) return;
  sinks.forEach((sink, i) => {
    const host = new URL(sink.url).hostname.toLowerCase();
    if (!allowed.some((p) => hostMatches(p, host))) refuse(i, 'url', `names host ${host}, which SINK_ALLOWED_HOSTS does not list`);
  });
}

/** Columns a PostgreSQL sink adds to its table: an output column may not be named so. */
const RESERVED = new Set(['_key', '_final', '_offset', '_updated_at']);

/** Refuses output columns a PostgreSQL table cannot hold as given (checked at registration). */
export function checkSinkColumns(sinks: SinkConfig[], columns: readonly { name: string }[]): void {
  sinks.forEach((sink, i) => {
    if (sink.type !== 'postgres') return;
    const seen = new Set<string>();
    for (const c of columns) {
      if (RESERVED.has(c.name.toLowerCase())) refuse(i, 'table', `cannot hold an output column named ${c.name}: the sink adds its own ${[...RESERVED].join(', ')}; rename it with AS`);
      // PostgreSQL cuts identifiers at 63 bytes: two long names could become one column.
      if (Buffer.byteLength(c.name) > 63) refuse(i, 'table', `cannot hold output column ${JSON.stringify(c.name.slice(0, 40))}…: PostgreSQL names are at most 63 bytes; rename it with AS`);
      if (seen.has(c.name)) refuse(i, 'table', `cannot hold two output columns named ${c.name}`);
      seen.add(c.name);
    }
  });
}
