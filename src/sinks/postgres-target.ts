// The PostgreSQL sink, exactly once: each batch of changes and the offset it reaches are written
// in one transaction, and delivery resumes from the offset PostgreSQL holds. A batch the table
// already holds (a restart, or a second runner during a lease handover) is skipped under the
// offset row's lock, so nothing is applied twice.
import pg from 'pg';
type Column = { name: string; type: string };
import type { Row } from '../engine/index.js';
import { SinkError, type SinkChange, type SinkTarget, type SnapshotPage } from './sink-target.js';
import { coveredBy, laterOf } from './offsets.js';
import type { PostgresSinkConfig } from './sink-config.js';

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The offsets table: beside the results table, in its schema. */
function offsetsTable(table: string): string {
  const dot = table.indexOf('.');
  return dot < 0 ? 'streamgate_sink_offsets' : `${ident(table.slice(0, dot))}.streamgate_sink_offsets`;
}

/** PostgreSQL types by the query's column types; untyped columns are typed by their first value. */
function pgType(type: string, sample: unknown): string {
  switch (type) {
    case 'integer': return 'BIGINT';
    case 'double': return 'DOUBLE PRECISION';
    case 'decimal': return 'NUMERIC';
    case 'timestamp': return 'TIMESTAMPTZ';
    case 'boolean': return 'BOOLEAN';
    case 'text': return 'TEXT';
    case 'array': return 'JSONB';
  }
  if (typeof sample === 'number' || typeof sample === 'bigint') return 'NUMERIC';
  if (typeof sample === 'boolean') return 'BOOLEAN';
  if (sample !== null && typeof sample === 'object') return 'JSONB';
  return 'TEXT';
}

const qualified = (table: string) => table.split('.').map(ident).join('.');

/**
 * The pg settings of a sink URL, built field by field (registration allowed only sslmode,
 * application_name and connect_timeout): nothing in the URL makes the driver read a file.
 */
function connectionOf(text: string): pg.PoolConfig {
  const u = new URL(text);
  const q = u.searchParams;
  const sslmode = q.get('sslmode');
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 5432,
    database: decodeURIComponent(u.pathname.slice(1)) || undefined,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    application_name: q.get('application_name') ?? 'streamgate',
    connectionTimeoutMillis: (Number(q.get('connect_timeout')) || 5) * 1000,
    ssl: sslmode === 'require' || sslmode === 'prefer' ? { rejectUnauthorized: false } : sslmode === 'verify-full' ? true : undefined,
  };
}

export class PostgresTarget implements SinkTarget {
  private pool: pg.Pool | undefined;
  private ready = false;
  /** The snapshot being written: one transaction from its first page to its last. */
  private snap: pg.PoolClient | undefined;
  private readonly offsets: string;
  /** The results table, quoted. */
  private readonly table: string;

  constructor(
    private readonly config: PostgresSinkConfig,
    /** The sink's id in the offsets table: query id and sink name. */
    private readonly sinkId: string,
    private readonly columns: readonly Column[],
    /** Tests only (SG_TEST_SINK_DELAY_MS): a pause before each commit. */
    private readonly testDelayMs = 0,
  ) {
    this.offsets = offsetsTable(config.table);
    this.table = qualified(config.table);
  }

  async open(): Promise<string | undefined> {
    this.pool = new pg.Pool({ ...connectionOf(this.config.url), max: 2, keepAlive: true, query_timeout: 30_000, statement_timeout: 30_000 });
    // An idle client that loses its server must not crash the process: the next query fails instead.
    this.pool.on('error', () => undefined);
    await this.pool.query(`CREATE TABLE IF NOT EXISTS ${this.offsets} (sink TEXT PRIMARY KEY, "offset" TEXT, updated_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    await this.pool.query(`INSERT INTO ${this.offsets} (sink) VALUES ($1) ON CONFLICT (sink) DO NOTHING`, [this.sinkId]);
    const exists = await this.pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [this.config.table]);
    this.ready = exists.rows[0]?.t !== null;
    const r = await this.pool.query<{ offset: string | null }>(`SELECT "offset" FROM ${this.offsets} WHERE sink = $1`, [this.sinkId]);
    return r.rows[0]?.offset ?? undefined;
  }

  /** The table, typed by the first rows it will hold (once; later rows must fit those types). */
  private async ensureTable(client: pg.PoolClient, rows: Row[]): Promise<void> {
    if (this.ready) return;
    const cols = this.columns.map((c) => {
      const sample = rows.map((r) => r[c.name]).find((v) => v !== null && v !== undefined);
      return `${ident(c.name)} ${pgType(c.type, sample)}`;
    });
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (_key TEXT PRIMARY KEY, ${cols.join(', ')}, _final BOOLEAN NOT NULL DEFAULT false, _offset TEXT NOT NULL, _updated_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    this.ready = true;
  }

  private value(c: Column, v: unknown): unknown {
    if (v === undefined || v === null) return null;
    if (typeof v === 'object' || c.type === 'array') return JSON.stringify(v);
    return v;
  }

  /** One multi-row upsert: the newest version of each key. */
  private async upsert(client: pg.PoolClient, rows: { key: string; row: Row; final: boolean; offset: string }[]): Promise<void> {
    const names = this.columns.map((c) => ident(c.name));
    const all = [...names, '_final', '_offset'];
    // One statement takes at most 65,535 parameters.
    const per = Math.max(1, Math.min(500, Math.floor(65_535 / (all.length + 1))));
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      const params: unknown[] = [];
      const tuples = chunk.map((r) => {
        const vals = [r.key, ...this.columns.map((c) => this.value(c, r.row[c.name])), r.final, r.offset];
        const at = params.length;
        params.push(...vals);
        return `(${vals.map((_, j) => `$${at + j + 1}`).join(', ')})`;
      });
      // A final row (a closed window) is never changed again.
      await client.query(
        `INSERT INTO ${this.table} (_key, ${all.join(', ')}) VALUES ${tuples.join(', ')}
         ON CONFLICT (_key) DO UPDATE SET ${all.map((n) => `${n} = EXCLUDED.${n}`).join(', ')}, _updated_at = now()
         WHERE NOT ${this.table}._final`,
        params,
      );
    }
  }

  private async lockOffset(client: pg.PoolClient): Promise<string | undefined> {
    const r = await client.query<{ offset: string | null }>(`SELECT "offset" FROM ${this.offsets} WHERE sink = $1 FOR UPDATE`, [this.sinkId]);
    return r.rows[0]?.offset ?? undefined;
  }

  private async setOffset(client: pg.PoolClient, offset: string): Promise<void> {
    await client.query(`UPDATE ${this.offsets} SET "offset" = $2, updated_at = now() WHERE sink = $1`, [this.sinkId, offset]);
  }

  async snapshot(page: SnapshotPage): Promise<void> {
    const pool = this.need();
    try {
      if (page.first) {
        await this.rollbackSnapshot();
        this.snap = await pool.connect();
        await this.snap.query('BEGIN');
        await this.lockOffset(this.snap);
        await this.ensureTable(this.snap, page.rows.map((r) => r.row));
        // Rows the snapshot does not hold are gone from the results, except closed windows: those
        // are final, and may have left Redis's result retention while staying here.
        await this.snap.query(`DELETE FROM ${this.table} WHERE NOT _final`);
      }
      const client = this.snap;
      if (!client) throw new SinkError('a snapshot page arrived without its first page');
      await this.upsert(client, page.rows.map((r) => ({ ...r, offset: page.offset ?? '' })));
      if (page.last) {
        const offset = page.offset!;
        const stored = await this.lockOffset(client);
        // Another runner got further meanwhile: this snapshot is older than what the table holds.
        if (stored !== undefined && !coveredBy(stored, offset)) throw new SinkError(`the table is at offset ${stored}, past this snapshot's ${offset}`);
        await this.setOffset(client, offset);
        await client.query('COMMIT');
        client.release();
        this.snap = undefined;
      }
    } catch (err) {
      await this.rollbackSnapshot();
      throw err;
    }
  }

  private async rollbackSnapshot(): Promise<void> {
    const client = this.snap;
    this.snap = undefined;
    if (!client) return;
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }

  async changes(batch: SinkChange[]): Promise<void> {
    const client = await this.need().connect();
    try {
      await client.query('BEGIN');
      const stored = await this.lockOffset(client);
      const fresh = batch.filter((c) => !coveredBy(c.offset, stored));
      if (fresh.length === 0) {
        await client.query('ROLLBACK');
        return;
      }
      await this.ensureTable(client, fresh.map((c) => c.row));
      // In order, the last change of a key wins: a delete then an upsert of one key is an upsert.
      const last = new Map<string, SinkChange>();
      for (const c of fresh) {
        last.delete(c.key);
        last.set(c.key, c);
      }
      const deletes = [...last.values()].filter((c) => c.op === 'delete').map((c) => c.key);
      const upserts = [...last.values()].filter((c) => c.op === 'upsert');
      if (deletes.length) await client.query(`DELETE FROM ${this.table} WHERE _key = ANY($1) AND NOT _final`, [deletes]);
      if (upserts.length) await this.upsert(client, upserts);
      await this.setOffset(client, fresh.reduce<string | undefined>((o, c) => laterOf(c.offset, o), stored)!);
      if (this.testDelayMs) await new Promise((ok) => setTimeout(ok, this.testDelayMs));
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private need(): pg.Pool {
    if (!this.pool) throw new SinkError('the sink is not open');
    return this.pool;
  }

  async close(): Promise<void> {
    await this.rollbackSnapshot();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }
}
