// Multi-partition queries: each partition's changes carry partial rows, so a change is re-expressed as
// the row merged over every partition's current state (the same merge pull results use).
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import type { Change } from '../engine/types.js';
import type { QueryDefinition } from '../runtime/query-definition.js';
import { compiledQuery } from '../runtime/compiled-queries.js';
import { rowsFromPartitions } from '../runtime/current-rows.js';
import type { CompiledQuery } from '../sql/compile.js';
import { ChangeEntry } from './change-entry.js';
import type { FunctionRegistry } from '../sql/functions/registry.js';

export class PartitionMerger {
  private readonly compiled: CompiledQuery;

  constructor(private readonly redis: Redis, private readonly def: QueryDefinition, functions: FunctionRegistry) {
    this.compiled = compiledQuery(def, functions);
  }

  /**
   * Entries with their row replaced by the merged row as it is now (an upsert), or a delete when no
   * partition holds a visible row for the key any more. Rows are the latest rather than "as of
   * the offset", so a subscriber equals the pull results at every quiet point.
   */
  async resolve(entries: ChangeEntry[]): Promise<ChangeEntry[]> {
    const rowKeys = [...new Set(entries.map((e) => e.change.key))];
    if (rowKeys.length === 0) return entries;
    const reads = await Promise.all(
      Array.from({ length: this.def.partitions }, (_, p) => {
        const k = keys.task(this.def.stream, p, this.def.id);
        return Promise.all([this.redis.hmGet(k.state, rowKeys), this.redis.hmGet(k.sealed, rowKeys), this.redis.hmGet(k.results, rowKeys)]);
      }),
    );
    const current = rowsFromPartitions(
      this.compiled,
      this.def,
      reads.map(([states, sealed, rows]) => ({
        state: Object.fromEntries(rowKeys.map((key, i) => [key, states[i]])),
        sealed: Object.fromEntries(rowKeys.map((key, i) => [key, sealed[i]])),
        results: Object.fromEntries(rowKeys.map((key, i) => [key, rows[i]])),
      })),
    );
    // A key with a stored final row is closed, whichever partition's change brought it here.
    const closed = new Set(rowKeys.filter((_, i) => reads.some(([, , rows]) => rows[i])));
    return entries.map((e) => {
      const c = e.change;
      const row = current.get(c.key);
      const final = c.final || closed.has(c.key);
      const out: Change = row ? { op: 'upsert', key: c.key, row, final } : { op: 'delete', key: c.key, row: c.row, final };
      return new ChangeEntry(e.partition, e.id, JSON.stringify(out));
    });
  }
}
