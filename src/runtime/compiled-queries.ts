// Compiled plans by query, so status reads, pulls, snapshots and tasks compile each SQL once.
import type { CompiledQuery } from '../sql/compile.js';
import type { FunctionRegistry } from '../functions/index.js';
import { compileOrRefuse, type QueryDefinition } from './query-definition.js';

const cache = new WeakMap<FunctionRegistry, Map<string, CompiledQuery>>();

/** The compiled plan of a registered query (keyed by its SQL and declared types, so an id reused with other SQL recompiles). */
export function compiledQuery(def: Pick<QueryDefinition, 'sql' | 'decimals'>, functions: FunctionRegistry): CompiledQuery {
  let bySql = cache.get(functions);
  if (!bySql) cache.set(functions, (bySql = new Map<string, CompiledQuery>()));
  const key = def.decimals ? `${def.sql}\u0000${JSON.stringify(def.decimals)}` : def.sql;
  let c = bySql.get(key);
  if (!c) bySql.set(key, (c = compileOrRefuse(def.sql, functions, def.decimals)));
  return c;
}
