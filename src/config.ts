// The only reader of process.env: every setting, its default and its validation.
import envSchema from 'env-schema';
import { parseDuration } from './util/duration.js';

export const SCOPES = ['ingest', 'query', 'subscribe', 'metrics', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  key: string;
  /** Short non-secret label for logs and rate-limit buckets: never the key itself. */
  label: string;
  scopes: ReadonlySet<Scope>;
  /** Stream name patterns (`*` matches any run of characters) this key may ingest into and read. */
  streams: readonly string[];
  /** Query name or id patterns this key may see besides the queries it created. */
  queries: readonly string[];
}

export interface Config {
  port: number;
  host: string;
  /** Unset: start a local redis-server child with persistence under dataDir. */
  redisUrl: string | undefined;
  /** Cluster node addresses as announced → as reachable from here (NAT, managed clusters). */
  redisNodeAddressMap: Record<string, string>;
  /** Replicas that must hold an ingest or a commit before it is acknowledged (WAIT); 0: off. */
  redisWaitReplicas: number;
  dataDir: string;
  logLevel: string;
  /** auto: human-readable on a terminal, JSON lines otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** How long start-up keeps retrying an unreachable Redis before it exits. */
  redisConnectTimeoutMs: number;
  /** Origins allowed to call the REST API from a browser (CORS); empty: none. */
  corsOrigins: string[];
  /** Hosts sinks may reach (`name` or `*.domain`); empty: any. */
  sinkAllowedHosts: string[];
  apiKeys: ApiKey[];
  strictStreams: boolean;
  bodyLimitBytes: number;
  maxEventsPerRequest: number;
  idempotencyTtlMs: number;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Per API key, across processes (kept in Redis); 0 = off. */
  quotas: { queries: number; connections: number; eventsPerSecond: number };
  /** Host names served while auth is off, beside loopback ones. */
  allowedHosts: string[];
  /** Failed authentications per client address per window, shared across processes (0: off). */
  authFailures: { max: number; windowMs: number };
  redisMaxMemoryBytes: number;
  streamMaxBacklog: number;
  requestTimeoutMs: number;
  retentionIntervalMs: number;
  /** A query paused this long stops holding its stream's retention back (0: never). */
  retentionDetachPausedMs: number;
  streamConfigCacheMs: number;
  /** api: HTTP only; worker: query processing only (plus health); all: both. */
  role: 'all' | 'api' | 'worker';
  leaseTtlMs: number;
  batchSize: number;
  blockMs: number;
  maxDeliveries: number;
  resultRetentionMs: number;
  changesMaxLength: number;
  registryPollMs: number;
  alertLagEntries: number;
  alertE2eP99Ms: number;
  alertDeadLetterGrowth: number;
  alertIntervalMs: number;
  /** Folder of user function modules (*.js, *.mjs) loaded at start-up; unset: built-ins only. */
  functionsDir: string | undefined;
  /** POST /v1/queries/validate runs a sample in a worker thread with this much time and heap. */
  validateTimeoutMs: number;
  validateMemoryMb: number;
  /** A task taken over this many times in a row without a commit quarantines its query. */
  quarantineAfter: number;
  /** Live results (WebSocket and SSE). */
  push: PushConfig;
  /** Root folder of the Parquet archive (streams with `archive: true`); unset: no archiving. */
  archiveDir: string | undefined;
  /** Test-only: each commit waits a random 0..N ms first, so fault tests can kill inside it. */
  testCommitDelayMs: number;
  /** Tests only: a pause inside each PostgreSQL sink transaction, so that kills land in it. */
  testSinkDelayMs: number;
  /** Test-only: the archiver waits N ms between writing a file and marking it, so tests can kill there. */
  testArchiveDelayMs: number;
}

export interface PushConfig {
  /** Origins allowed to open a WebSocket or SSE stream; empty: any. Requests without Origin are allowed. */
  allowedOrigins: string[];
  maxMessageBytes: number;
  /** Client messages per second on one socket; past it the socket is closed (1008). */
  maxMessagesPerSecond: number;
  softLimit: number;
  hardLimit: number;
  highWaterBytes: number;
  maxSubscriptionsPerKey: number;
  heartbeatMs: number;
  stallMs: number;
  /** A WebSocket peer that has answered no ping for this long is cut. */
  pingTimeoutMs: number;
  blockMs: number;
  maxBatch: number;
  /** Rows per snapshot message: large snapshots are read and sent page by page. */
  snapshotRows: number;
}

/** Every variable the gateway reads; the README table documents each (test/docs/readme-config.test.ts). */
export const configSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    REDIS_URL: { type: 'string', pattern: '^rediss?://[^,\\s]+(,\\s*rediss?://[^,\\s]+)*$' },
    REDIS_NODE_ADDRESS_MAP: { type: 'string', pattern: '^([^=,\\s]+=[^=,\\s]+(,[^=,\\s]+=[^=,\\s]+)*)?$', default: '' },
    REDIS_WAIT_REPLICAS: { type: 'integer', minimum: 0, maximum: 16, default: 0 },
    DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    LOG_FORMAT: { type: 'string', enum: ['auto', 'json', 'pretty'], default: 'auto' },
    REDIS_CONNECT_TIMEOUT: { type: 'string', default: '30s' },
    CORS_ORIGINS: { type: 'string', default: '' },
    SINK_ALLOWED_HOSTS: { type: 'string', default: '' },
    API_KEYS: { type: 'string', default: '' },
    STRICT_STREAMS: { type: 'boolean', default: false },
    BODY_LIMIT_BYTES: { type: 'integer', minimum: 1024, default: 10 * 1024 * 1024 },
    MAX_EVENTS_PER_REQUEST: { type: 'integer', minimum: 1, default: 50_000 },
    IDEMPOTENCY_TTL: { type: 'string', default: '24h' },
    RATE_LIMIT_MAX: { type: 'integer', minimum: 0, default: 0 },
    RATE_LIMIT_WINDOW: { type: 'string', default: '1s' },
    QUOTA_QUERIES_PER_KEY: { type: 'integer', minimum: 0, default: 100 },
    QUOTA_CONNECTIONS_PER_KEY: { type: 'integer', minimum: 0, default: 1_000 },
    QUOTA_EVENTS_PER_SECOND: { type: 'integer', minimum: 0, default: 0 },
    AUTH_FAIL_MAX: { type: 'integer', minimum: 0, default: 20 },
    ALLOWED_HOSTS: { type: 'string', default: '' },
    REQUIRE_API_KEYS: { type: 'boolean', default: false },
    AUTH_FAIL_WINDOW: { type: 'string', default: '1m' },
    REDIS_MAX_MEMORY_BYTES: { type: 'integer', minimum: 0, default: 0 },
    STREAM_MAX_BACKLOG: { type: 'integer', minimum: 0, default: 0 },
    REQUEST_TIMEOUT: { type: 'string', default: '30s' },
    RETENTION_INTERVAL: { type: 'string', default: '5s' },
    RETENTION_DETACH_PAUSED: { type: 'string', default: '24h' },
    STREAM_CONFIG_CACHE: { type: 'string', default: '1s' },
    ROLE: { type: 'string', enum: ['all', 'api', 'worker'], default: 'all' },
    LEASE_TTL: { type: 'string', default: '5s' },
    BATCH_SIZE: { type: 'integer', minimum: 1, maximum: 100_000, default: 1000 },
    BLOCK_TIME: { type: 'string', default: '250ms' },
    MAX_DELIVERIES: { type: 'integer', minimum: 1, default: 3 },
    RESULT_RETENTION: { type: 'string', default: '24h' },
    CHANGES_MAX_LENGTH: { type: 'integer', minimum: 100, default: 100_000 },
    REGISTRY_POLL: { type: 'string', default: '500ms' },
    FUNCTIONS_DIR: { type: 'string' },
    ARCHIVE_DIR: { type: 'string' },
    VALIDATE_TIMEOUT: { type: 'string', default: '2s' },
    VALIDATE_MEMORY_MB: { type: 'integer', minimum: 32, default: 128 },
    QUARANTINE_AFTER: { type: 'integer', minimum: 1, default: 3 },
    ALERT_LAG_ENTRIES: { type: 'integer', minimum: 0, default: 0 },
    ALERT_E2E_P99_MS: { type: 'integer', minimum: 0, default: 0 },
    ALERT_DEAD_LETTER_GROWTH: { type: 'integer', minimum: 0, default: 0 },
    ALERT_INTERVAL: { type: 'string', default: '5s' },
    SG_TEST_COMMIT_DELAY_MS: { type: 'integer', minimum: 0, default: 0 },
    SG_TEST_SINK_DELAY_MS: { type: 'integer', minimum: 0, default: 0 },
    SG_TEST_ARCHIVE_DELAY_MS: { type: 'integer', minimum: 0, default: 0 },
    WS_ALLOWED_ORIGINS: { type: 'string', default: '' },
    WS_MAX_MESSAGE_BYTES: { type: 'integer', minimum: 256, default: 16_384 },
    WS_MAX_MESSAGES_PER_SECOND: { type: 'integer', minimum: 1, default: 50 },
    WS_SOFT_LIMIT: { type: 'integer', minimum: 1, default: 1_000 },
    WS_HARD_LIMIT: { type: 'integer', minimum: 2, default: 10_000 },
    WS_HIGH_WATER_BYTES: { type: 'integer', minimum: 1024, default: 1_048_576 },
    WS_MAX_SUBSCRIPTIONS_PER_KEY: { type: 'integer', minimum: 1, default: 1_000 },
    WS_HEARTBEAT: { type: 'string', default: '15s' },
    WS_STALL_TIMEOUT: { type: 'string', default: '30s' },
    WS_PING_TIMEOUT: { type: 'string', default: '45s' },
    PUSH_BLOCK_TIME: { type: 'string', default: '1s' },
    WS_MAX_BATCH: { type: 'integer', minimum: 1, default: 500 },
    WS_SNAPSHOT_ROWS: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 },
  },
} as const;

interface RawEnv {
  PORT: number; HOST: string; REDIS_URL?: string; REDIS_NODE_ADDRESS_MAP: string; REDIS_WAIT_REPLICAS: number; DATA_DIR: string; LOG_LEVEL: string; LOG_FORMAT: 'auto' | 'json' | 'pretty'; REDIS_CONNECT_TIMEOUT: string; CORS_ORIGINS: string; SINK_ALLOWED_HOSTS: string; API_KEYS: string;
  STRICT_STREAMS: boolean; BODY_LIMIT_BYTES: number; MAX_EVENTS_PER_REQUEST: number; IDEMPOTENCY_TTL: string;
  RATE_LIMIT_MAX: number; RATE_LIMIT_WINDOW: string; QUOTA_QUERIES_PER_KEY: number; QUOTA_CONNECTIONS_PER_KEY: number; QUOTA_EVENTS_PER_SECOND: number; AUTH_FAIL_MAX: number; AUTH_FAIL_WINDOW: string; ALLOWED_HOSTS: string; REQUIRE_API_KEYS: boolean; REDIS_MAX_MEMORY_BYTES: number; STREAM_MAX_BACKLOG: number;
  REQUEST_TIMEOUT: string; RETENTION_INTERVAL: string; RETENTION_DETACH_PAUSED: string; STREAM_CONFIG_CACHE: string;
  ROLE: 'all' | 'api' | 'worker'; LEASE_TTL: string; BATCH_SIZE: number; BLOCK_TIME: string; MAX_DELIVERIES: number;
  RESULT_RETENTION: string; CHANGES_MAX_LENGTH: number; REGISTRY_POLL: string; FUNCTIONS_DIR?: string; ARCHIVE_DIR?: string; SG_TEST_COMMIT_DELAY_MS: number; SG_TEST_SINK_DELAY_MS: number; SG_TEST_ARCHIVE_DELAY_MS: number;
  VALIDATE_TIMEOUT: string; VALIDATE_MEMORY_MB: number; QUARANTINE_AFTER: number;
  ALERT_LAG_ENTRIES: number; ALERT_E2E_P99_MS: number; ALERT_DEAD_LETTER_GROWTH: number; ALERT_INTERVAL: string;
  WS_ALLOWED_ORIGINS: string; WS_MAX_MESSAGE_BYTES: number; WS_MAX_MESSAGES_PER_SECOND: number; WS_SOFT_LIMIT: number; WS_HARD_LIMIT: number;
  WS_HIGH_WATER_BYTES: number; WS_MAX_SUBSCRIPTIONS_PER_KEY: number; WS_HEARTBEAT: string; WS_STALL_TIMEOUT: string; WS_PING_TIMEOUT: string;
  PUSH_BLOCK_TIME: string; WS_MAX_BATCH: number; WS_SNAPSHOT_ROWS: number;
}

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`invalid configuration: ${variable} ${message}`);
  }
}

function duration(env: RawEnv, name: keyof RawEnv): number {
  const raw = env[name];
  const ms = parseDuration(raw);
  if (ms === undefined) throw new ConfigError(name, `must be a duration such as 500ms, 5s, 10m, 24h (got ${JSON.stringify(raw)})`);
  return ms;
}

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
/** A stream or query pattern: name characters and `*`. */
export const GRANT_PATTERN_RE = /^[A-Za-z0-9_.*-]{1,128}$/;

/**
 * Parses API_KEYS. Short form `key:scope,scope;key2:scope` (a key without scopes gets every scope;
 * each key is granted every stream and the queries it creates, and is named `key#<position>`), or a
 * JSON array of `{ "name", "key", "scopes", "streams", "queries" }` for named keys with grants.
 */
export function parseApiKeys(text: string): ApiKey[] {
  const keys = text.trim().startsWith('[') ? parseJsonKeys(text) : parseShortKeys(text);
  const names = new Set<string>();
  const secrets = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (names.has(k.label)) throw new ConfigError('API_KEYS', `entry ${i} repeats the name "${k.label}"`);
    if (secrets.has(k.key)) throw new ConfigError('API_KEYS', `entry ${i} repeats a key of an earlier entry`);
    names.add(k.label);
    secrets.add(k.key);
  }
  return keys;
}

function checkScopes(scopes: string[], i: number): Set<Scope> {
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new ConfigError('API_KEYS', `entry ${i} has unknown scope "${s}" (known: ${SCOPES.join(', ')})`);
  }
  return new Set((scopes.length ? scopes : SCOPES) as Scope[]);
}

function checkKey(key: unknown, i: number): string {
  if (typeof key !== 'string' || key.length < 16) throw new ConfigError('API_KEYS', `entry ${i} has a key shorter than 16 characters`);
  if (/[\s:;]/.test(key)) throw new ConfigError('API_KEYS', `entry ${i} has a key with a space, ":" or ";"`);
  return key;
}

function parseShortKeys(text: string): ApiKey[] {
  return text.split(/[;\n]/).map((p) => p.trim()).filter(Boolean).map((part, i) => {
    const colon = part.indexOf(':');
    const key = checkKey((colon === -1 ? part : part.slice(0, colon)).trim(), i);
    const scopes = (colon === -1 ? '' : part.slice(colon + 1)).split(',').map((s) => s.trim()).filter(Boolean);
    return { key, label: `key#${i}`, scopes: checkScopes(scopes, i), streams: ['*'], queries: [] };
  });
}

const JSON_KEY_FIELDS = new Set(['name', 'key', 'scopes', 'streams', 'queries']);

function stringList(value: unknown, i: number, field: string, re: RegExp): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && re.test(v))) {
    throw new ConfigError('API_KEYS', `entry ${i} field "${field}" must be an array of ${field === 'scopes' ? 'scope names' : 'name patterns (A-Z a-z 0-9 _ . - and *)'}`);
  }
  return value;
}

function parseJsonKeys(text: string): ApiKey[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('API_KEYS', `is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(list)) throw new ConfigError('API_KEYS', 'must be a JSON array of key objects');
  return list.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError('API_KEYS', `entry ${i} must be an object`);
    const e = entry as Record<string, unknown>;
    const extra = Object.keys(e).find((f) => !JSON_KEY_FIELDS.has(f));
    if (extra) throw new ConfigError('API_KEYS', `entry ${i} has unknown field "${extra}" (known: ${[...JSON_KEY_FIELDS].join(', ')})`);
    if (typeof e.name !== 'string' || !NAME_RE.test(e.name)) throw new ConfigError('API_KEYS', `entry ${i} field "name" must be 1 to 64 of A-Z a-z 0-9 _ . -`);
    const scopes = checkScopes(e.scopes === undefined ? [] : stringList(e.scopes, i, 'scopes', /^[a-z]+$/), i);
    const streams = e.streams === undefined ? ['*'] : stringList(e.streams, i, 'streams', GRANT_PATTERN_RE);
    const queries = e.queries === undefined ? [] : stringList(e.queries, i, 'queries', GRANT_PATTERN_RE);
    // An admin sees every stream and query: patterns on it would promise a limit that is not there.
    if (scopes.has('admin') && (e.streams !== undefined || e.queries !== undefined)) {
      throw new ConfigError('API_KEYS', `entry ${i} ("${e.name}") has the admin scope, which sees every stream and query: drop its "streams" and "queries"`);
    }
    return { key: checkKey(e.key, i), label: e.name, scopes, streams, queries };
  });
}

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let raw: RawEnv;
  try {
    raw = envSchema<RawEnv>({ schema: configSchema, data: { ...env }, dotenv: false });
  } catch (err) {
    // Ajv says "env/PORT must be <= 65535": turn it into one line naming the variable and its value.
    const msg = (err as Error).message;
    const m = /env\/(\w+) (.*)/.exec(msg);
    if (m?.[1]) throw new ConfigError(m[1], `${m[2]} (got ${JSON.stringify(env[m[1]])})`);
    throw new ConfigError('environment', msg);
  }
  // The Docker image sets REQUIRE_API_KEYS: a container reachable from a network must not start open by accident.
  if (raw.REQUIRE_API_KEYS && raw.API_KEYS.trim() === '') throw new ConfigError('API_KEYS', 'is empty but REQUIRE_API_KEYS is true: set API_KEYS, or REQUIRE_API_KEYS=false to run without auth');
  return {
    port: raw.PORT,
    host: raw.HOST,
    redisUrl: raw.REDIS_URL || undefined,
    redisNodeAddressMap: Object.fromEntries(raw.REDIS_NODE_ADDRESS_MAP.split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string])),
    redisWaitReplicas: raw.REDIS_WAIT_REPLICAS,
    dataDir: raw.DATA_DIR,
    logLevel: raw.LOG_LEVEL,
    logFormat: raw.LOG_FORMAT,
    redisConnectTimeoutMs: duration(raw, 'REDIS_CONNECT_TIMEOUT'),
    corsOrigins: raw.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    sinkAllowedHosts: raw.SINK_ALLOWED_HOSTS.split(',').map((h) => h.trim()).filter(Boolean),
    apiKeys: parseApiKeys(raw.API_KEYS),
    strictStreams: raw.STRICT_STREAMS,
    bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    maxEventsPerRequest: raw.MAX_EVENTS_PER_REQUEST,
    idempotencyTtlMs: duration(raw, 'IDEMPOTENCY_TTL'),
    rateLimitMax: raw.RATE_LIMIT_MAX,
    rateLimitWindowMs: duration(raw, 'RATE_LIMIT_WINDOW'),
    quotas: { queries: raw.QUOTA_QUERIES_PER_KEY, connections: raw.QUOTA_CONNECTIONS_PER_KEY, eventsPerSecond: raw.QUOTA_EVENTS_PER_SECOND },
    authFailures: { max: raw.AUTH_FAIL_MAX, windowMs: duration(raw, 'AUTH_FAIL_WINDOW') },
    allowedHosts: raw.ALLOWED_HOSTS.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    redisMaxMemoryBytes: raw.REDIS_MAX_MEMORY_BYTES,
    streamMaxBacklog: raw.STREAM_MAX_BACKLOG,
    requestTimeoutMs: duration(raw, 'REQUEST_TIMEOUT'),
    retentionIntervalMs: duration(raw, 'RETENTION_INTERVAL'),
    retentionDetachPausedMs: duration(raw, 'RETENTION_DETACH_PAUSED'),
    streamConfigCacheMs: duration(raw, 'STREAM_CONFIG_CACHE'),
    role: raw.ROLE,
    leaseTtlMs: duration(raw, 'LEASE_TTL'),
    batchSize: raw.BATCH_SIZE,
    blockMs: duration(raw, 'BLOCK_TIME'),
    maxDeliveries: raw.MAX_DELIVERIES,
    resultRetentionMs: duration(raw, 'RESULT_RETENTION'),
    changesMaxLength: raw.CHANGES_MAX_LENGTH,
    registryPollMs: duration(raw, 'REGISTRY_POLL'),
    functionsDir: raw.FUNCTIONS_DIR || undefined,
    archiveDir: raw.ARCHIVE_DIR || undefined,
    validateTimeoutMs: duration(raw, 'VALIDATE_TIMEOUT'),
    validateMemoryMb: raw.VALIDATE_MEMORY_MB,
    quarantineAfter: raw.QUARANTINE_AFTER,
    alertLagEntries: raw.ALERT_LAG_ENTRIES,
    alertE2eP99Ms: raw.ALERT_E2E_P99_MS,
    alertDeadLetterGrowth: raw.ALERT_DEAD_LETTER_GROWTH,
    alertIntervalMs: duration(raw, 'ALERT_INTERVAL'),
    testCommitDelayMs: raw.SG_TEST_COMMIT_DELAY_MS,
    testSinkDelayMs: raw.SG_TEST_SINK_DELAY_MS,
    testArchiveDelayMs: raw.SG_TEST_ARCHIVE_DELAY_MS,
    push: {
      allowedOrigins: raw.WS_ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
      maxMessageBytes: raw.WS_MAX_MESSAGE_BYTES,
      maxMessagesPerSecond: raw.WS_MAX_MESSAGES_PER_SECOND,
      softLimit: raw.WS_SOFT_LIMIT,
      hardLimit: Math.max(raw.WS_HARD_LIMIT, raw.WS_SOFT_LIMIT + 1),
      highWaterBytes: raw.WS_HIGH_WATER_BYTES,
      maxSubscriptionsPerKey: raw.WS_MAX_SUBSCRIPTIONS_PER_KEY,
      heartbeatMs: duration(raw, 'WS_HEARTBEAT'),
      stallMs: duration(raw, 'WS_STALL_TIMEOUT'),
      pingTimeoutMs: duration(raw, 'WS_PING_TIMEOUT'),
      blockMs: duration(raw, 'PUSH_BLOCK_TIME'),
      maxBatch: raw.WS_MAX_BATCH,
      snapshotRows: raw.WS_SNAPSHOT_ROWS,
    },
  };
}

/** What the telemetry preload needs to know before anything else loads (OTEL_* stays the SDK's). */
export interface TelemetrySettings {
  /** Start the OpenTelemetry SDK: some OTEL exporter is configured and the SDK is not disabled. */
  enabled: boolean;
  /** Export metrics over OTLP too (OTEL_METRICS_EXPORTER lists otlp); /metrics always works. */
  otlpMetrics: boolean;
  /** http/json or http/protobuf, for the metrics exporter. */
  metricsProtocol: string;
  /** OTEL_SERVICE_NAME, else "streamgate". */
  serviceName: string;
}

export function telemetrySettings(env: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  const disabled = /^(true|1)$/i.test(env.OTEL_SDK_DISABLED ?? '');
  const traces = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const endpoint = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const enabled = !disabled && ((traces.length > 0 && !traces.includes('none')) || endpoint);
  const metricsExporters = (env.OTEL_METRICS_EXPORTER ?? '').split(',').map((s) => s.trim());
  return {
    enabled,
    otlpMetrics: enabled && metricsExporters.includes('otlp'),
    metricsProtocol: (env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim(),
    serviceName: env.OTEL_SERVICE_NAME || 'streamgate',
  };
}
