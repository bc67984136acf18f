// The test oracle for reads: a query's current rows rebuilt from everything its partitions hold
// (every hash loaded whole, open groups through a fresh engine, closed rows overlaid), the slow way
// the paged reads in src/runtime/result-reader.ts must agree with.
import type { Redis } from '../../src/redis/client.js';
import { keys } from '../../src/redis/keys.js';
import { createEngine } from '../../src/engine/index.js';
import { mergeStates } from '../../src/engine/index.js';
import type { Row } from '../../src/engine/index.js';
import type { CompiledQuery } from '../../src/sql/compile.js';
import { engineOptions, queryPartition, type QueryDefinition } from '../../src/runtime/query-definition.js';
import { withValuesOf } from '../../src/runtime/checkpoint-store.js';

/** What one partition holds for some row keys: serialized states, sealed partials and closed rows (JSON). */
export interface PartitionRows {
  state: Record<string, string | null | undefined>;
  sealed: Record<string, string | null | undefined>;
  results: Record<string, string | null | undefined>;
}

/**
 * Rows by key: the open groups (working and sealed partials merged over the partitions), overlaid
 * by closed windows' final rows, which win: a partition drops its partial of a closed window only in
 * its own next commit. `emit: final` queries show closed windows only. `meta` is the engine meta to
 * load (one partition's own); rows need only the states, so for several partitions any valid meta
 * will do.
 */
export function rowsFromPartitions(compiled: CompiledQuery, def: QueryDefinition, parts: PartitionRows[], meta?: string): Map<string, Row> {
  const merged: Record<string, string> = {};
  const rows = new Map<string, Row>();
  if (def.emit !== 'final') {
    for (const part of parts) {
      for (const source of [part.state, part.sealed]) {
        for (const [key, s] of Object.entries(source)) if (s) merged[key] = merged[key] === undefined ? s : mergeStates(compiled.plan, merged[key], s);
      }
    }
    const engine = createEngine(compiled.plan, engineOptions(def));
    engine.load(merged, meta || engine.takeDelta().meta);
    for (const r of engine.rows()) rows.set(r.key, r.row);
  }
  for (const part of parts) for (const [key, r] of Object.entries(part.results)) if (r) rows.set(key, JSON.parse(r) as Row);
  return rows;
}

export interface CurrentRows {
  /** Rows sorted by row key. */
  rows: { key: string; row: Row }[];
  /** Per partition, the last changes-stream id the rows include (`0-0` before any change). */
  ids: string[];
}

/**
 * Every key of one partition shares its hash tag, and a commit writes state, meta, closed rows
 * and changes atomically; reading them in one MULTI per partition therefore gives rows that equal
 * exactly "every change up to the last changes id" of that partition.
 */
export async function readCurrentRows(redis: Redis, def: QueryDefinition, compiled: CompiledQuery): Promise<CurrentRows> {
  const parts: PartitionRows[] = [];
  const ids: string[] = [];
  let meta: string | undefined;
  for (let p = 0; p < def.partitions; p++) {
    const k = keys.task(queryPartition(def, p), def.id);
    const [state, ckpt, results, sealed, last] = (await redis
      .multi()
      .hGetAll(k.state)
      .hGetAll(k.checkpoint)
      .hGetAll(k.results)
      .hGetAll(k.sealed)
      .xRevRange(k.changes, '+', '-', { COUNT: 1 })
      .exec()) as unknown as [Record<string, string>, Record<string, string>, Record<string, string>, Record<string, string>, { id: string }[]];
    ids.push(last[0]?.id ?? '0-0');
    if (def.partitions === 1) meta = ckpt.meta;
    // Large DISTINCT states keep their values beside the entry (read whole here: the oracle is slow on purpose).
    parts.push({ state: await withValuesOf(redis, k.valuesPrefix, state, compiled.plan), sealed, results });
  }
  const rows = [...rowsFromPartitions(compiled, def, parts, meta)]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, row]) => ({ key, row }));
  return { rows, ids };
}
