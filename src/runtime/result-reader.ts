// Pull results that cost what they return: row keys come from each partition's result index (a
// sorted set of row keys) by range, rows from the hashes for those keys only, merged over the
// partitions and rendered by a renderer cached with the compiled plan. Nothing loads a whole state.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { callFunction } from '../redis/functions.js';
import { createEngine, mergeStates } from '../engine/index.js';
import { bindAggregates, hasOutsideValues, withOutsideValues, type BoundAggregate } from '../engine/index.js';
import type { Engine, Row } from '../engine/index.js';
import type { CompiledQuery } from '../sql/compile.js';
import { engineOptions, type QueryDefinition, queryPartition } from './query-definition.js';
import { matches as rowMatches, type RowFilter } from './row-filter.js';

export interface ResultFilter {
  /** Conditions on output columns, the same filter live subscriptions take. */
  where?: RowFilter;
  from?: string;
  to?: string;
  limit: number;
  /** Exclusive: the row key after which the page starts (the previous page's `next`). */
  cursor?: string;
}

export interface ResultPage {
  rows: Row[];
  next?: string;
}

export interface SnapshotPage {
  /** `final`: a closed window's last version (it will not change again). */
  rows: { key: string; row: Row; final: boolean }[];
  /** The last row key the page covers; undefined when it ran to the end of the keys. */
  bound: string | undefined;
  /** Per partition, the last change id the page's rows include. */
  ids: string[];
}

type Stored = string | null | undefined;
/** One partition's values for a list of row keys: closed rows, working states, sealed partials. */
type PartitionValues = [Stored[], Stored[], Stored[]];

// Row keys sort in the index by their UTF-8 bytes (ZRANGEBYLEX); the merge must use the same order.
const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
/** Row keys in the index's order (their UTF-8 bytes, as ZRANGEBYLEX): pages and snapshots merge by it. */
export const byteOrder = (a: string, b: string): number => Buffer.compare(bytes(a), bytes(b));

/** A key range of the index: `lo` inclusive (undefined: from the start), `hi` a prefix bound. */
interface KeyRange {
  lo: string | undefined;
  /** Exact key (a point lookup) or every key starting with `prefix`; undefined: to the end. */
  exact?: string;
  prefix?: string;
}

const renderers = new WeakMap<CompiledQuery, Map<string, Engine>>();

// The renderer needs only the plan and the emit mode; one per compiled plan serves every read.
function rendererFor(compiled: CompiledQuery, def: QueryDefinition): Engine {
  let byEmit = renderers.get(compiled);
  if (!byEmit) renderers.set(compiled, (byEmit = new Map<string, Engine>()));
  let r = byEmit.get(def.emit);
  if (!r) byEmit.set(def.emit, (r = createEngine(compiled.plan, engineOptions(def))));
  return r;
}

// The typed values a where text may stand for in a row key (JSON of the group values).
function candidates(text: string): unknown[] {
  const out: unknown[] = [text];
  const n = Number(text);
  if (text.trim() !== '' && String(n) === text) out.push(n);
  if (text === 'true') out.push(true);
  if (text === 'false') out.push(false);
  if (text === 'null') out.push(null);
  return out;
}

/**
 * The index ranges a where on the leading group-key columns narrows a read to (a row key is the
 * JSON of the group values, then the window bounds); undefined when the where does not narrow it.
 */
export function keyRanges(compiled: CompiledQuery, filter: RowFilter | undefined): KeyRange[] | undefined {
  if (!filter?.length) return undefined;
  const where: Record<string, string> = {};
  for (const c of filter) if (c.op === '=' && where[c.column] === undefined) where[c.column] = c.value;
  const plan = compiled.plan;
  const keyColumn = new Map<number, string>();
  for (const o of plan.outputs) {
    // Times print as ISO text, big integers as strings: only plain values narrow by key.
    if (o.expr.k === 'key' && o.type !== 'timestamp' && where[o.name] !== undefined && !keyColumn.has(o.expr.index)) keyColumn.set(o.expr.index, o.name);
  }
  let fixed = 0;
  while (keyColumn.has(fixed)) fixed++;
  if (fixed === 0) return undefined;
  let combos: unknown[][] = [[]];
  for (let i = 0; i < fixed; i++) {
    const values = candidates(where[keyColumn.get(i)!]!);
    combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  }
  const exact = fixed === plan.keys.length && plan.window === undefined;
  return combos
    .map((c) => {
      const json = JSON.stringify(c);
      return exact ? { lo: json, exact: json } : { lo: json.slice(0, -1) + ',', prefix: json.slice(0, -1) + ',' };
    })
    .sort((a, b) => byteOrder(a.lo, b.lo));
}

function matches(row: Row, f: ResultFilter): boolean {
  if (f.where && !rowMatches(f.where, row)) return false;
  if (f.from && !(typeof row.window_start === 'string' && row.window_start >= f.from)) return false;
  if (f.to && !(typeof row.window_end === 'string' && row.window_end <= f.to)) return false;
  return true;
}

export class ResultReader {
  private readonly renderer: Engine;
  private bound: BoundAggregate[] | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly def: QueryDefinition,
    private readonly compiled: CompiledQuery,
  ) {
    this.renderer = rendererFor(compiled, def);
  }

  /** One page of rows in row-key order: reads only the keys it scans and the rows for them. */
  async page(f: ResultFilter): Promise<ResultPage> {
    const ranges: KeyRange[] = keyRanges(this.compiled, f.where) ?? [{ lo: undefined }];
    const found: { key: string; row: Row }[] = [];
    const batch = Math.min(1_000, Math.max(f.limit + 1, 100));
    for (const range of ranges) {
      let after = f.cursor;
      for (;;) {
        const { keys: rowKeys, exhausted } = await this.nextKeys(range, after, batch);
        if (rowKeys.length === 0) break;
        const rows = await this.rowsFor(rowKeys);
        for (const key of rowKeys) {
          const row = rows.get(key)?.row;
          if (row === undefined || !matches(row, f)) continue;
          found.push({ key, row });
          if (found.length > f.limit) return { rows: found.slice(0, f.limit).map((r) => r.row), next: found[f.limit - 1]!.key };
        }
        after = rowKeys[rowKeys.length - 1];
        if (exhausted) break;
      }
    }
    return { rows: found.map((r) => r.row) };
  }

  /**
   * The next keys of `range` after `after`, over every partition's index: each partition gives its
   * first `n`, so the merged keys up to the least last key of a full answer are the next ones.
   */
  private async nextKeys(range: KeyRange, after: string | undefined, n: number): Promise<{ keys: string[]; exhausted: boolean }> {
    const fromAfter = after !== undefined && (range.lo === undefined || byteOrder(after, range.lo) >= 0);
    const min: string | Buffer = fromAfter ? `(${after}` : range.lo !== undefined ? `[${range.lo}` : '-';
    const max: string | Buffer = range.exact !== undefined ? `[${range.exact}` : range.prefix !== undefined ? Buffer.concat([bytes(`[${range.prefix}`), Buffer.from([0xff])]) : '+';
    // A point lookup needs no index read: the hashes answer for the key itself.
    if (range.exact !== undefined) return { keys: fromAfter ? [] : [range.exact], exhausted: true };
    const lists = await Promise.all(
      Array.from({ length: this.def.partitions }, (_, p) => this.redis.zRangeByLex(keys.task(queryPartition(this.def, p), this.def.id).index, min, max, { LIMIT: { offset: 0, count: n } })),
    );
    let bound: string | undefined;
    for (const list of lists) {
      const last = list[list.length - 1];
      if (list.length === n && last !== undefined && (bound === undefined || byteOrder(last, bound) < 0)) bound = last;
    }
    const merged = [...new Set(lists.flat())].sort(byteOrder);
    return { keys: bound === undefined ? merged : merged.filter((k) => byteOrder(k, bound) <= 0), exhausted: bound === undefined };
  }

  /**
   * Rows for `rowKeys`: a stored final row wins (`final`); else the partials merged over the
   * partitions, if they pass HAVING. Pull pages and the push hub's partition merge both read this way.
   */
  async rowsFor(rowKeys: string[]): Promise<Map<string, { row: Row; final: boolean }>> {
    const partials = this.def.emit !== 'final';
    const reads = await Promise.all(
      Array.from({ length: this.def.partitions }, (_, p) => {
        const k = keys.task(queryPartition(this.def, p), this.def.id);
        return Promise.all([this.redis.hmGet(k.results, rowKeys), partials ? this.redis.hmGet(k.state, rowKeys) : [], partials ? this.redis.hmGet(k.sealed, rowKeys) : []]);
      }),
    );
    return await this.merge(rowKeys, reads);
  }

  /**
   * One snapshot page: the rows of the keys after `after` (undefined: from the first), each
   * partition's part read atomically with its last change id. `bound` is the last key the page
   * covers (undefined: it ran to the end), `ids` the change id per partition it is exact at.
   */
  async snapshotPage(after: string | undefined, n: number): Promise<SnapshotPage> {
    const min = after === undefined ? '-' : `(${after}`;
    const parts = (await Promise.all(
      Array.from({ length: this.def.partitions }, (_, p) => {
        const k = keys.task(queryPartition(this.def, p), this.def.id);
        return callFunction(this.redis, 'snapshot_page', [k.index, k.state, k.sealed, k.results, k.changes], [min, String(n), this.def.emit === 'final' ? '0' : '1']);
      }),
    )) as [string, string[], Stored[], Stored[], Stored[]][];
    // A partition that filled its page covers keys up to its last one only: so does the page.
    let bound: string | undefined;
    for (const [, list] of parts) {
      const last = list[list.length - 1];
      if (list.length === n && last !== undefined && (bound === undefined || byteOrder(last, bound) < 0)) bound = last;
    }
    let rowKeys = [...new Set(parts.flatMap(([, list]) => list))].filter((k) => bound === undefined || byteOrder(k, bound) <= 0).sort(byteOrder);
    // Several partitions' keys may add up past the page size: the page ends at its n-th key.
    if (rowKeys.length > n) {
      rowKeys = rowKeys.slice(0, n);
      bound = rowKeys[n - 1];
    }
    const reads = parts.map(([, list, results, state, sealed]): PartitionValues => {
      const at = new Map(list.map((k, i) => [k, i]));
      const pick = (values: Stored[]) => rowKeys.map((k) => { const i = at.get(k); return i === undefined ? null : values[i] ?? null; });
      return [pick(results), pick(state), pick(sealed)];
    });
    const rows = await this.merge(rowKeys, reads);
    return { rows: rowKeys.flatMap((key) => { const r = rows.get(key); return r ? [{ key, row: r.row, final: r.final }] : []; }), bound, ids: parts.map(([id]) => id) };
  }

  // Per partition, the stored values of each row key: closed row, working state, sealed partial.
  private async merge(rowKeys: string[], reads: PartitionValues[]): Promise<Map<string, { row: Row; final: boolean }>> {
    const rows = new Map<string, { row: Row; final: boolean }>();
    const aggs = this.aggs();
    for (const [i, key] of rowKeys.entries()) {
      const partials: { p: number; text: string }[] = [];
      let final: string | undefined;
      for (const [p, [results, state, sealed]] of reads.entries()) {
        final ??= results[i] ?? undefined;
        for (const s of [state[i], sealed[i]]) if (s) partials.push({ p, text: s });
      }
      if (final) {
        rows.set(key, { row: JSON.parse(final) as Row, final: true });
        continue;
      }
      if (partials.length === 0) continue;
      // One partial renders from its stand-ins; merging several needs the values kept outside.
      if (partials.length > 1) {
        for (const x of partials) {
          if (!hasOutsideValues(x.text, aggs)) continue;
          // The entry again with its values, in one step: a commit in between would mismatch them.
          const k = keys.task(queryPartition(this.def, x.p), this.def.id);
          const [text, values] = (await this.redis.multi().hGet(k.state, key).hGetAll(k.valuesPrefix + key).exec()) as unknown as [string | null, Record<string, string>];
          // Gone from the state since (sealed or dropped): a later read sees where it went.
          x.text = text === null ? '' : hasOutsideValues(text, aggs) ? withOutsideValues(text, values, aggs) : text;
        }
      }
      const texts = partials.map((x) => x.text).filter((t) => t !== '');
      if (texts.length === 0) continue;
      const merged = texts.reduce((a, b) => mergeStates(this.compiled.plan, a, b));
      const r = this.renderer.renderRow(merged);
      if (r.passes) rows.set(key, { row: r.row, final: false });
    }
    return rows;
  }

  private aggs(): BoundAggregate[] {
    return (this.bound ??= bindAggregates(this.compiled.plan));
  }
}
