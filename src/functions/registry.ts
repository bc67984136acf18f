// The function registry: built-ins first, then plugins; names are case-insensitive.
import { aggregateAliases, builtinAggregates } from './aggregates.js';
import { approxCountDistinct } from './approx-count-distinct.js';
import { approxPercentile } from './approx-percentile.js';
import { builtinScalars } from './scalars.js';
import { regexpScalars } from './regexp.js';
import { topK } from './topk.js';
import type { AggregateFunction, ScalarFunction, SqlFunction } from './types.js';

/** Looks up scalar and aggregate functions by name. */
export class FunctionRegistry {
  private readonly byName = new Map<string, SqlFunction>();

  /** Registers a function; a later registration of the same name replaces the earlier one. */
  register(f: SqlFunction): this {
    this.byName.set(f.name.toUpperCase(), f);
    return this;
  }

  get(name: string): SqlFunction | undefined {
    const upper = name.toUpperCase();
    return this.byName.get(aggregateAliases[upper] ?? upper);
  }

  aggregate(name: string): AggregateFunction | undefined {
    const f = this.get(name);
    return f?.kind === 'aggregate' ? f : undefined;
  }

  scalar(name: string): ScalarFunction | undefined {
    const f = this.get(name);
    return f?.kind === 'scalar' ? f : undefined;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/** A registry holding every built-in and shipped sketch function. */
export function defaultRegistry(): FunctionRegistry {
  const r = new FunctionRegistry();
  for (const f of [...builtinScalars, ...regexpScalars]) r.register(f);
  for (const f of builtinAggregates) r.register(f);
  for (const f of [approxCountDistinct, approxPercentile, topK]) r.register(f);
  return r;
}
