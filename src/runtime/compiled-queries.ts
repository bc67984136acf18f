// Compiled plans by query, so status reads, pulls, snapshots and tasks compile each SQL once.
import type { CompiledQuery } from '../sql/compile.js';
import type { FunctionRegistry } from '../sql/functions/registry.js';
import { compileOrRefuse, type QueryDefinition } from './query-definition.js';

const cache = new WeakMap<FunctionRegistry, Map<string, CompiledQuery>>();

/** The compiled plan of a registered query (keyed by its SQL, so an id reused with other SQL recompiles). */
export function compiledQuery(def: Pick<QueryDefinition, 'sql'>, functions: FunctionRegistry): CompiledQuery {
  let bySql = cache.get(functions);
  if (!bySql) cache.set(functions, (bySql = new Map<string, CompiledQuery>()));
  let c = bySql.get(def.sql);
  if (!c) bySql.set(def.sql, (c = compileOrRefuse(def.sql, functions)));
  return c;
}
