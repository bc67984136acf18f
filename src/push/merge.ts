// Multi-partition queries: each partition's changes carry partial rows, so a change is re-expressed as
// the row merged over every partition's current state (the same read pull results use).
import type { Redis } from '../redis/client.js';
import type { Change } from '../engine/index.js';
import type { QueryDefinition } from '../runtime/query-definition.js';
import { compiledQuery } from '../runtime/compiled-queries.js';
import { ResultReader } from '../runtime/result-reader.js';
import { ChangeEntry } from './change-entry.js';
import type { FunctionRegistry } from '../functions/index.js';

export class PartitionMerger {
  private readonly reader: ResultReader;

  constructor(redis: Redis, def: QueryDefinition, functions: FunctionRegistry) {
    this.reader = new ResultReader(redis, def, compiledQuery(def, functions));
  }

  /**
   * Entries with their row replaced by the merged row as it is now (an upsert), or a delete when no
   * partition holds a visible row for the key any more. Rows are the latest rather than "as of
   * the offset", so a subscriber equals the pull results at every quiet point. A key with a stored
   * final row is closed, whichever partition's change brought it here.
   */
  async resolve(entries: ChangeEntry[]): Promise<ChangeEntry[]> {
    const rowKeys = [...new Set(entries.map((e) => e.change.key))];
    if (rowKeys.length === 0) return entries;
    const current = await this.reader.rowsFor(rowKeys);
    return entries.map((e) => {
      const c = e.change;
      const now = current.get(c.key);
      const final = c.final || now?.final === true;
      const out: Change = now ? { op: 'upsert', key: c.key, row: now.row, final } : { op: 'delete', key: c.key, row: c.row, final };
      return new ChangeEntry(e.partition, e.id, JSON.stringify(out));
    });
  }
}
