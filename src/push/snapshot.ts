// Reads a query's current rows together with the offset they are exact at (one MULTI per partition).
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { createEngine } from '../engine/query-engine.js';
import { mergeStates } from '../engine/group.js';
import type { Row } from '../engine/types.js';
import type { FunctionRegistry } from '../sql/functions/registry.js';
import { compileOrRefuse, engineOptions, type QueryDefinition } from '../runtime/query-definition.js';

export interface Snapshot {
  /** Rows sorted by row key, as pull results are. */
  rows: { key: string; row: Row }[];
  /** Per partition, the last changes-stream id the rows include (`0-0` before any change). */
  ids: string[];
}

/**
 * Every key of one partition shares its hash tag, and a commit writes state, meta, closed rows
 * and changes atomically; reading them in one MULTI therefore gives rows that equal exactly
 * "every change up to the last changes id" of that partition.
 */
export async function readSnapshot(redis: Redis, def: QueryDefinition, functions: FunctionRegistry): Promise<Snapshot> {
  const compiled = compileOrRefuse(def.sql, functions);
  const engine = createEngine(compiled.plan, engineOptions(def));
  let meta = engine.takeDelta().meta;
  const merged: Record<string, string> = {};
  const closed = new Map<string, Row>();
  const ids: string[] = [];
  for (let p = 0; p < def.partitions; p++) {
    const k = keys.task(def.stream, p, def.id);
    const [state, ckpt, results, last] = (await redis
      .multi()
      .hGetAll(k.state)
      .hGetAll(k.checkpoint)
      .hGetAll(k.results)
      .xRevRange(k.changes, '+', '-', { COUNT: 1 })
      .exec()) as unknown as [Record<string, string>, Record<string, string>, Record<string, string>, { id: string }[]];
    ids.push(last[0]?.id ?? '0-0');
    // Partitions keep their own watermarks; rows need only the states, so one valid meta will do.
    if (def.partitions === 1 && ckpt.meta) meta = ckpt.meta;
    for (const [key, s] of Object.entries(state)) merged[key] = merged[key] === undefined ? s : mergeStates(compiled.plan, merged[key], s);
    for (const [key, row] of Object.entries(results)) closed.set(key, JSON.parse(row) as Row);
  }
  engine.load(merged, meta);
  const all = new Map<string, Row>(closed);
  for (const r of engine.rows()) all.set(r.key, r.row);
  const rows = [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, row]) => ({ key, row }));
  return { rows, ids };
}
