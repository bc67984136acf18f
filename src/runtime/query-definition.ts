// A registered continuous query as stored in the registry, and the checks that build one.
import { partitionRef, type PartitionRef } from '../redis/placement.js';
import { STREAM_NAME_RE } from '../streams/stream-config.js';
import { randomBytes } from 'node:crypto';
import { archiveStartOf, type ArchiveStart } from '../archive/archive-start.js';
import { compileQuery, type CompiledQuery } from '../sql/compile.js';
import type { FunctionRegistry } from '../functions/index.js';
import { SqlError } from '../sql/compile.js';
import { createEngine } from '../engine/index.js';
import { EngineConfigError } from '../engine/index.js';
import { AppError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import type { DeclaredDecimals } from '../streams/declared-types.js';
import { checkSinkColumns, parseSinks, type SinkConfig } from '../sinks/sink-config.js';
import type { AdoptedRead } from '../sources/entry-mapping.js';

export type QueryStatus = 'running' | 'paused' | 'failed' | 'deleting';

export interface QueryDefinition {
  id: string;
  name: string;
  sql: string;
  emit: 'changes' | 'final';
  /** latest | earliest | an entry id | archive | an ISO time: where the query starts. */
  start: string;
  /** Set for start "archive" or an ISO time: what each task reads from the archive before its group (src/archive). */
  archive?: ArchiveStart;
  latenessMs: number;
  idleTimeoutMs?: number;
  limits: { maxGroups?: number; maxStateBytes?: number };
  stream: string;
  partitions: number;
  /** The stream's partition hash tags when the query was registered (absent: plain tags). */
  tags?: string[];
  /** Over an adopted stream: its key and mapping when the query was registered, which it keeps. */
  source?: AdoptedRead;
  status: QueryStatus;
  error?: string;
  createdAt: string;
  /** Fields the stream's schema declared DECIMAL(p, s) at registration: read as exact decimals. */
  decimals?: DeclaredDecimals;
  /** The label of the API key that created it (absent when auth was off): it sees the query. */
  ownerKey?: string;
  /** When it was paused (ms since epoch): long-paused queries stop holding retention back. */
  pausedAt?: number;
  /** When DELETE marked it deleting (ms since epoch); its keys are reclaimed after this. */
  deletingAt?: number;
  /** Where its changes are delivered besides Redis (PostgreSQL, webhooks). */
  sinks?: SinkConfig[];
}

export interface QueryInput {
  sql: string;
  name?: string;
  emit?: 'changes' | 'final';
  start?: string;
  lateness?: number | string;
  idleTimeout?: number | string;
  limits?: { maxGroups?: number; maxStateBytes?: number };
  sinks?: unknown[];
}

const ENTRY_ID = /^\d{1,20}(-\d{1,20})?$/;
const MAX_ID_PART = 2n ** 64n - 1n;

/** An entry id Redis accepts: `ms[-seq]`, each part an unsigned 64-bit integer. */
function validEntryId(id: string): boolean {
  return ENTRY_ID.test(id) && id.split('-').every((part) => BigInt(part) <= MAX_ID_PART);
}

function durationField(value: number | string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw new AppError('SG_ERR_VALIDATION', `${field} must be a duration`, { errors: [{ field: `/${field}`, message: 'must be integer milliseconds or a string such as "5s"' }] });
  return ms;
}

/** Compiles SQL, turning a refusal into a 400 that names the construct and its position. */
export function compileOrRefuse(sql: string, functions: FunctionRegistry, decimals?: DeclaredDecimals): CompiledQuery {
  try {
    return compileQuery(sql, { functions, ...(decimals ? { decimals } : {}) });
  } catch (err) {
    if (err instanceof SqlError) {
      throw new AppError('SG_ERR_SQL', err.message, {
        errors: [{ field: '/sql', message: err.message, code: err.code, line: err.line, column: err.column }],
        cause: err,
      });
    }
    throw err;
  }
}

/** Validates a registration body into a definition (without the stream's partition count). */
export function buildDefinition(input: QueryInput, now: Date, functions: FunctionRegistry, decimals?: DeclaredDecimals): { def: Omit<QueryDefinition, 'partitions'>; compiled: CompiledQuery } {
  const compiled = compileOrRefuse(input.sql, functions, decimals);
  // FROM names a stream as the URL does: the same rule, so no key or SCAN pattern is built from other text.
  if (!STREAM_NAME_RE.test(compiled.source)) {
    throw new AppError('SG_ERR_VALIDATION', `FROM names stream ${JSON.stringify(compiled.source)}, but a stream name is 1 to 128 of A-Z a-z 0-9 _ . -`, { errors: [{ field: '/sql', message: 'the stream in FROM is not a valid stream name' }] });
  }
  const start = input.start ?? 'latest';
  if (start !== 'latest' && start !== 'earliest' && !validEntryId(start) && !archiveStartOf(start)) {
    throw new AppError('SG_ERR_VALIDATION', 'start must be latest, earliest, an entry id, archive or an ISO time', { errors: [{ field: '/start', message: 'must be "latest", "earliest", an entry id such as 1767225600000-0, "archive" or an ISO time such as 2026-01-01T00:00:00Z' }] });
  }
  const def: Omit<QueryDefinition, 'partitions'> = {
    id: 'q_' + randomBytes(8).toString('hex'),
    name: input.name ?? compiled.source + '_query',
    sql: input.sql,
    emit: input.emit ?? 'changes',
    start,
    latenessMs: durationField(input.lateness, 'lateness') ?? 0,
    limits: input.limits ?? {},
    stream: compiled.source,
    status: 'running',
    createdAt: now.toISOString(),
    ...(decimals ? { decimals } : {}),
  };
  const sinks = parseSinks(input.sinks);
  checkSinkColumns(sinks, compiled.columns);
  if (sinks.length) def.sinks = sinks;
  const idle = durationField(input.idleTimeout, 'idleTimeout');
  if (idle !== undefined) def.idleTimeoutMs = idle;
  try {
    createEngine(compiled.plan, engineOptions(def));
  } catch (err) {
    if (err instanceof EngineConfigError) throw new AppError('SG_ERR_VALIDATION', err.message, { errors: [{ field: '/emit', message: err.message }], cause: err });
    throw err;
  }
  return { def, compiled };
}

/**
 * A window must be over the stream's time field: the engine windows on the event time ingest
 * resolved from it, so any other column would be silently ignored. Refused with its position.
 */
export function checkWindowColumn(compiled: CompiledQuery, stream: string, timeField: string): void {
  const w = compiled.plan.windowColumn;
  if (!w) return;
  const want = timeField.split('.');
  const same = w.path.length === want.length && w.path.every((s, i) => (s.exact ? s.name === want[i] : s.name.toLowerCase() === want[i]?.toLowerCase()));
  if (same) return;
  const written = w.path.map((s) => s.name).join('.');
  const message = `the window is over "${written}", but stream "${stream}" takes event time from "${timeField}": window over ${timeField}, or set the stream's timeField at line ${w.line}, column ${w.column}`;
  throw new AppError('SG_ERR_SQL', message, { errors: [{ field: '/sql', message, code: 'SG_ERR_SQL_WINDOW', line: w.line, column: w.column }] });
}

/** The engine options a definition implies. */
export function engineOptions(def: Pick<QueryDefinition, 'emit' | 'latenessMs' | 'idleTimeoutMs' | 'limits'>) {
  return {
    emit: def.emit,
    latenessMs: def.latenessMs,
    ...(def.idleTimeoutMs !== undefined ? { idleTimeoutMs: def.idleTimeoutMs } : {}),
    limits: def.limits,
  };
}

/** Partition `p` of the query's stream, with the hash tag its keys carry (and the adopted key it reads). */
export function queryPartition(def: Pick<QueryDefinition, 'stream' | 'tags' | 'source'>, p: number): PartitionRef {
  const part = partitionRef(def.stream, def.tags, p);
  return def.source ? { ...part, source: def.source.key } : part;
}

/**
 * The query's consumer group: its id, prefixed on an adopted stream, whose owner then tells our
 * groups from its own consumers' (XINFO GROUPS).
 */
export function queryGroup(def: Pick<QueryDefinition, 'id' | 'source'>): string {
  return def.source ? `streamgate:${def.id}` : def.id;
}
