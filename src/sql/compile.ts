// compileQuery: SQL text → plan, output columns and explain text (parse → bind → plan).
import { bindStatement } from './bind.js';
import { explainPlan } from './explain.js';
import type { FunctionRegistry } from '../functions/index.js';
import { defaultRegistry } from '../functions/index.js';
import { defaultParseLimits, parseSql } from './parse.js';
import type { QueryPlan } from './plan.js';

/** What the runtime gets for a registered query. */
export interface CompiledQuery {
  plan: QueryPlan;
  /** The one stream the query reads. */
  source: string;
  columns: { name: string; type: string }[];
  explain: string;
}

export interface CompileOptions {
  functions?: FunctionRegistry;
  /** Top-level fields the stream's schema declares DECIMAL(p, s): read as exact decimals. */
  decimals?: Record<string, { precision: number; scale: number }>;
  maxLength?: number;
  maxDepth?: number;
}

let shared: FunctionRegistry | undefined;

/** Compiles one continuous query; throws SqlError with a stable code and line:column on refusal. */
export function compileQuery(sql: string, opts: CompileOptions = {}): CompiledQuery {
  const registry = opts.functions ?? (shared ??= defaultRegistry());
  const stmt = parseSql(sql, { maxLength: opts.maxLength ?? defaultParseLimits.maxLength, maxDepth: opts.maxDepth ?? defaultParseLimits.maxDepth });
  const plan = bindStatement(stmt, registry, opts.decimals ?? {});
  return {
    plan,
    source: plan.source,
    columns: plan.outputs.map((o) => ({ name: o.name, type: o.type })),
    explain: explainPlan(plan),
  };
}

// The runtime's one import point for the compiler.
export type { QueryPlan } from './plan.js';
export { FunctionError, SqlError } from './errors.js';
export { FunctionRegistry, defaultRegistry } from '../functions/index.js';
export { loadPlugins, registerPlugins } from '../functions/index.js';
export type { AggregateFunction, ScalarFunction } from '../functions/index.js';
