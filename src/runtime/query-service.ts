// What the queries API does: register, validate, inspect, pause/resume, delete, and read results.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { AppError } from '../errors.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import type { StreamConfig } from '../streams/stream-config.js';
import type { Row } from '../engine/index.js';
import { buildDefinition, checkWindowColumn, type QueryDefinition, type QueryInput, queryGroup, queryPartition } from './query-definition.js';
import { adoptedRead } from '../sources/entry-mapping.js';
import type { SampleRunner } from './sample-runner.js';
import type { QueryRegistry } from './query-registry.js';
import type { FunctionRegistry } from '../functions/index.js';
import { ResultReader, type ResultFilter } from './result-reader.js';
import { compiledQuery } from './compiled-queries.js';
import { streamGroups } from '../redis/stream-groups.js';
import { decodeMeta } from '../engine/index.js';
import { queryLatency } from '../telemetry/e2e.js';
import { declaredDecimals } from '../streams/declared-types.js';
import { Grants } from '../access/grants.js';
import { archiveStartOf, createArchiveGroups } from '../archive/archive-start.js';
import { checkSinkHosts, publicSink } from '../sinks/sink-config.js';
import { sinkViews } from '../sinks/sink-status.js';

/** A definition as the API shows it: sinks without their secrets. */
function shown(def: QueryDefinition): QueryDefinition | Omit<QueryDefinition, 'sinks'> & { sinks: Record<string, unknown>[] } {
  return def.sinks ? { ...def, sinks: def.sinks.map(publicSink) } : def;
}

export interface QueryServiceOptions {
  strictStreams: boolean;
  functions: FunctionRegistry;
  samples: SampleRunner;
  /** Queries one non-admin API key may own (QUOTA_QUERIES_PER_KEY); 0 = no limit. */
  maxQueriesPerKey: number;
  /** Hosts sinks may reach (SINK_ALLOWED_HOSTS); empty: any. */
  sinkAllowedHosts?: readonly string[];
}

export interface PartitionStatus {
  partition: number;
  lag: number;
  pending: number;
  processed: number;
  late: number;
  deadLettered: number;
  offset: string | null;
  lastCheckpointAt: string | null;
  owner: string | null;
  epoch: number | null;
  /** Events per second over the owner's last second of commits (0 when idle for 5 s). */
  throughput: number;
  /** The task's watermark as an ISO time, or null before any event. */
  watermark: string | null;
  /** Entries retention removed unread while the query was detached (failed or long paused). */
  gap: { entries: number; until: string | null } | null;
}


function watermarkOf(meta: string | undefined): string | null {
  if (!meta) return null;
  const wm = decodeMeta(meta).wm;
  return Number.isFinite(wm) ? new Date(wm).toISOString() : null;
}

export class QueryService {
  /** Definitions pull reads have seen, by id (what a read needs of one never changes). */
  private readonly readDefs = new Map<string, QueryDefinition>();

  constructor(
    private readonly redis: Redis,
    private readonly streams: StreamRegistry,
    private readonly registry: QueryRegistry,
    private readonly opts: QueryServiceOptions,
  ) {}

  /** Registers a query owned by the caller's key; its SQL may read only a stream the key is granted. */
  async create(input: QueryInput, access: Grants = Grants.everything) {
    const first = buildDefinition(input, new Date(), this.opts.functions);
    checkSinkHosts(first.def.sinks, this.opts.sinkAllowedHosts ?? []);
    access.requireStream(first.def.stream);
    const known = await this.streams.get(first.def.stream);
    if (!known && this.opts.strictStreams) throw new AppError('SG_ERR_STREAM_NOT_FOUND', `stream "${first.def.stream}" does not exist and strict mode is on`);
    // A stream named only in FROM is created with the default config, but only once every check
    // passed: a refused registration writes nothing.
    const checkedFor = (s: StreamConfig) => {
      const typed = this.typedBy(s, input, first);
      checkWindowColumn(typed.compiled, s.name, s.timeField);
      return typed;
    };
    let stream = known ?? this.streams.provisional(first.def.stream);
    let { def: partial, compiled } = checkedFor(stream);
    if (!known) {
      stream = await this.streams.getOrCreate(stream.name);
      // Another process may have created it first, with its own rules: check against those.
      ({ def: partial, compiled } = checkedFor(stream));
    }
    const def: QueryDefinition = { ...partial, partitions: stream.partitions, ...(stream.tags ? { tags: stream.tags } : {}), ...adoptedRead(stream), ...(access.owner !== undefined ? { ownerKey: access.owner } : {}) };
    const quota = access.owner === undefined || access.admin ? 0 : this.opts.maxQueriesPerKey;
    // Checked before any group is made; checked again, atomically, with the registry write.
    if (quota > 0 && (await this.registry.list()).filter((d) => d.ownerKey === access.owner && d.status !== 'deleting').length >= quota) this.overQuota(quota);
    const fromArchive = archiveStartOf(def.start);
    if (def.start === 'archive' && !stream.archive) {
      throw new AppError('SG_ERR_VALIDATION', `start "archive" reads the stream's archive, but "${stream.name}" is not archived (PUT its config with "archive": true)`, { errors: [{ field: '/start', message: 'the stream is not archived' }] });
    }
    if (fromArchive) {
      const parts = Array.from({ length: def.partitions }, (_, p) => queryPartition(def, p));
      def.archive = await createArchiveGroups(this.redis, parts, queryGroup(def), fromArchive, (key, id) => this.entriesReadAt(key, id));
    } else {
      const startId = def.start === 'latest' ? '$' : def.start === 'earliest' ? '0' : def.start;
      for (let p = 0; p < def.partitions; p++) {
        const key = keys.events(queryPartition(def, p));
        await this.redis.xGroupCreate(key, queryGroup(def), startId, { MKSTREAM: true, ...(await this.entriesReadAt(key, startId)) });
      }
    }
    if (!(await this.registry.put(def, quota))) {
      // Another process registered this key's last allowed query meanwhile: undo the groups.
      await Promise.all(Array.from({ length: def.partitions }, (_, p) => this.redis.xGroupDestroy(keys.events(queryPartition(def, p)), queryGroup(def))));
      this.overQuota(quota);
    }
    return { ...shown(def), columns: compiled.columns, explain: compiled.explain };
  }

  private overQuota(quota: number): never {
    throw new AppError('SG_ERR_QUOTA_EXCEEDED', `this API key owns ${quota} queries, its quota (QUOTA_QUERIES_PER_KEY); delete one first`);
  }

  /**
   * Redis can tell a group's lag only when it knows how many entries the group has "read"; for a
   * group created at an entry id it does not, so tell it once here (counting what follows the id).
   */
  private async entriesReadAt(key: string, startId: string): Promise<{ ENTRIESREAD?: number }> {
    if (startId === '$' || startId === '0') return {};
    // A stream with no entries yet (created by the group): nothing was read before the id.
    if ((await this.redis.exists(key)) === 0) return { ENTRIESREAD: 0 };
    const info = (await this.redis.xInfoStream(key)) as unknown as Record<string, unknown>;
    const added = Number(info['entries-added'] ?? info.length ?? 0);
    let after = 0;
    let from = `(${startId}`;
    for (;;) {
      const chunk = (await this.redis.xRange(key, from, '+', { COUNT: 10_000 })) ?? [];
      after += chunk.length;
      if (chunk.length < 10_000) break;
      from = `(${chunk[chunk.length - 1]!.id}`;
    }
    return { ENTRIESREAD: Math.max(0, added - after) };
  }

  /**
   * The same checks as create, nothing stored; with events, the rows they would produce, computed
   * in a worker thread under the validate budget (a hostile sample costs its budget, no more).
   */
  async validate(input: QueryInput & { events?: unknown[] }, access: Grants = Grants.everything) {
    const first = buildDefinition(input, new Date(), this.opts.functions);
    access.requireStream(first.def.stream);
    const stream = await this.streams.get(first.def.stream);
    const { def, compiled } = this.typedBy(stream, input, first);
    // A stream not created yet will get the default time field.
    const timeField = stream?.timeField ?? 'ts';
    checkWindowColumn(compiled, def.stream, timeField);
    const out: { valid: true; stream: string; columns: { name: string; type: string }[]; explain: string; rows?: Row[] } = {
      valid: true,
      stream: def.stream,
      columns: compiled.columns,
      explain: compiled.explain,
    };
    if (input.events) {
      out.rows = await this.opts.samples.run({ sql: def.sql, ...(def.decimals ? { decimals: def.decimals } : {}), settings: def, events: input.events, timeField });
    }
    return out;
  }

  /**
   * The definition compiled with the SQL types the stream's schema declares (compiled again only
   * when it declares some), which it keeps: a later schema change does not retype a running query.
   */
  private typedBy(stream: StreamConfig | undefined, input: QueryInput, untyped: ReturnType<typeof buildDefinition>): ReturnType<typeof buildDefinition> {
    const decimals = declaredDecimals(stream?.schema);
    return decimals ? buildDefinition(input, new Date(), this.opts.functions, decimals) : untyped;
  }

  /** Ends validate's idle worker threads. */
  async closeSamples(): Promise<void> {
    await this.opts.samples.close();
  }

  /** The definition, or 404 when it does not exist, is being deleted, or the caller may not see it. */
  async require(id: string, access: Grants = Grants.everything): Promise<QueryDefinition> {
    const def = await this.registry.get(id);
    if (!def || def.status === 'deleting' || !access.query(def)) throw new AppError('SG_ERR_QUERY_NOT_FOUND', `query "${id}" does not exist`);
    return def;
  }

  async list(access: Grants = Grants.everything) {
    const defs = (await this.registry.list()).filter((d) => d.status !== 'deleting' && access.query(d));
    return Promise.all(defs.map((d) => this.describe(d)));
  }

  async get(id: string, access: Grants = Grants.everything) {
    return this.describe(await this.require(id, access));
  }

  /** Each sink's configuration (no secrets), progress, lag and last error. */
  async sinks(id: string, access: Grants = Grants.everything) {
    return { sinks: await sinkViews(this.redis, await this.require(id, access)) };
  }

  private async partitionStatus(def: QueryDefinition, p: number): Promise<PartitionStatus> {
    const k = keys.task(queryPartition(def, p), def.id);
    const source = keys.events(queryPartition(def, p));
    const [ckpt, lease, groups] = await Promise.all([this.redis.hGetAll(k.checkpoint), this.redis.get(k.lease), streamGroups(this.redis, source)]);
    const g = groups.find((x) => x.name === queryGroup(def));
    const pending = g?.pending ?? 0;
    let unread = g?.lag ?? undefined;
    if (unread === undefined && g) {
      // Redis cannot tell the lag (entries deleted inside the group's range): count what follows
      // the group, capped so a status read stays cheap; the figure is then a lower bound.
      const after = await this.redis.xRange(source, `(${g.lastDeliveredId}`, '+', { COUNT: 10_000 });
      unread = after?.length ?? 0;
    }
    const [owner, epoch] = lease ? lease.split(' ') : [null, null];
    return {
      partition: p,
      lag: (unread ?? 0) + pending,
      pending,
      processed: Number(ckpt.processed ?? 0),
      late: Number(ckpt.late ?? 0),
      deadLettered: Number(ckpt.dead ?? 0),
      offset: ckpt.offset ?? null,
      lastCheckpointAt: ckpt.updatedAt ? new Date(Number(ckpt.updatedAt)).toISOString() : null,
      owner: owner ?? null,
      epoch: epoch ? Number(epoch) : null,
      throughput: ckpt.rateAt && Date.now() - Number(ckpt.rateAt) < 5_000 ? Number(ckpt.rate ?? 0) : 0,
      watermark: watermarkOf(ckpt.meta),
      // Entries retention removed before this query read them, while it was failed or long paused.
      gap: ckpt.gapEntries ? { entries: Number(ckpt.gapEntries), until: ckpt.gapUntil ?? null } : null,
    };
  }

  private async describe(def: QueryDefinition) {
    const parts = await Promise.all(Array.from({ length: def.partitions }, (_, p) => this.partitionStatus(def, p)));
    const lag = parts.reduce((n, p) => n + p.lag, 0);
    const status = def.status === 'running' && lag > 10_000 ? 'catching_up' : def.status;
    const checkpoints = parts.map((p) => p.lastCheckpointAt).filter((x): x is string => x !== null).sort();
    return {
      ...shown(def),
      ...(def.sinks?.length ? { sinkStatus: await sinkViews(this.redis, def) } : {}),
      status,
      lag,
      processed: parts.reduce((n, p) => n + p.processed, 0),
      throughput: parts.reduce((n, p) => n + p.throughput, 0),
      // Measured by this process (its own commits and pushes), over the last 30 s.
      latencyMs: queryLatency(def.id),
      // The query's watermark is its slowest partition's.
      watermark: parts.some((p) => p.watermark === null) ? null : parts.map((p) => p.watermark!).sort()[0] ?? null,
      owners: [...new Set(parts.map((p) => p.owner).filter((o): o is string => o !== null))],
      late: parts.reduce((n, p) => n + p.late, 0),
      deadLettered: parts.reduce((n, p) => n + p.deadLettered, 0),
      gapEntries: parts.reduce((n, p) => n + (p.gap?.entries ?? 0), 0),
      lastCheckpointAt: checkpoints[checkpoints.length - 1] ?? null,
      partitionStatus: parts,
    };
  }

  async setStatus(id: string, status: 'running' | 'paused', access: Grants = Grants.everything) {
    await this.require(id, access);
    // Compare-and-set: a concurrent change (a failure, a delete) is not overwritten, and a query
    // being deleted stays deleting.
    await this.registry.update(id, (def) => {
      if (def.status === 'deleting') return def;
      if (status === 'paused') return def.status === 'paused' ? def : { ...def, status, pausedAt: Date.now() };
      // Resuming clears a failure and the pause time.
      const { error: _error, pausedAt: _pausedAt, ...rest } = def;
      return { ...rest, status };
    });
    return this.get(id, access);
  }

  /**
   * Marks the query deleting: it leaves the API at once and no process takes its tasks again.
   * A coordinator removes its groups, state, changes and results in the background once no
   * process holds one of its tasks (query-reclaim.ts), so the request does not wait a lease TTL.
   */
  async delete(id: string, access: Grants = Grants.everything): Promise<void> {
    await this.require(id, access);
    await this.registry.update(id, (d) => (d.status === 'deleting' ? d : { ...d, status: 'deleting', deletingAt: Date.now() }));
  }

  /**
   * Current rows (open groups and closed windows within retention), filtered and paged by row key
   * (UTF-8 byte order). Reads only what the page scans: see result-reader.ts.
   */
  async results(id: string, access: Grants, filter: ResultFilter) {
    const seen = this.readDefs.get(id);
    if (!seen) {
      const def = await this.require(id, access);
      this.remember(def);
      return this.reader(def).page(filter);
    }
    // Stream, partitions and SQL never change for an id: the page is read beside the registry
    // check (one round trip), and the check still answers 404 for a query deleted since.
    const [def, page] = await Promise.all([this.require(id, access), this.reader(seen).page(filter)]);
    if (def.sql === seen.sql && def.stream === seen.stream && def.partitions === seen.partitions && def.emit === seen.emit) return page;
    this.remember(def);
    return this.reader(def).page(filter);
  }

  private reader(def: QueryDefinition): ResultReader {
    return new ResultReader(this.redis, def, compiledQuery(def, this.opts.functions));
  }

  private remember(def: QueryDefinition): void {
    if (this.readDefs.size >= 10_000) this.readDefs.clear();
    this.readDefs.set(def.id, def);
  }
}
