// User function modules: validated at start-up, and guarded so a throwing plugin fails only its own query.
import { FunctionError } from './errors.js';
import type { FunctionRegistry } from './registry.js';
import { sqlTypes } from './sql-types.js';
import type { AggregateFunction, ScalarFunction, SqlFunction, TypeCheck } from './types.js';

/** A module the runtime imported from the configured functions folder. */
export interface PluginModule {
  /** Where it came from (a file path), for error messages. */
  source: string;
  /** The module namespace: its default export is one function definition or an array of them. */
  exports: unknown;
}

const aggregateMethods = ['returnType', 'init', 'add', 'merge', 'result', 'serialize', 'deserialize'] as const;
const scalarMethods = ['returnType', 'call'] as const;

function guard<A extends unknown[], R>(name: string, what: string, f: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    try {
      return f(...args);
    } catch (err) {
      if (err instanceof FunctionError) throw err;
      throw new FunctionError(name, `${what} threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
}

// A plugin's returnType must answer one of our types (or an error), or the binder would carry garbage.
function checkedReturnType(name: string, f: (args: never[]) => TypeCheck): (args: never[]) => TypeCheck {
  const guarded = guard(name, 'returnType', f);
  return (args) => {
    const t = guarded(args);
    if (typeof t === 'string' && (sqlTypes as readonly string[]).includes(t)) return t;
    if (typeof t === 'object' && t !== null && typeof (t as { error?: unknown }).error === 'string') return t;
    throw new FunctionError(name, `returnType gave ${JSON.stringify(t)}, not one of ${sqlTypes.join(', ')} or { error }`);
  };
}

function validate(def: unknown, source: string): SqlFunction {
  const d = def as Record<string, unknown> | null;
  const label = typeof d?.name === 'string' ? d.name : '(unnamed)';
  const fail = (msg: string): never => {
    throw new FunctionError(label, `${msg} (in ${source})`);
  };
  if (d === null || typeof d !== 'object') return fail('a plugin must export an object');
  if (typeof d.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(d.name)) return fail('name must be an identifier');
  if (d.kind !== 'aggregate' && d.kind !== 'scalar') return fail("kind must be 'aggregate' or 'scalar'");
  if (!Number.isInteger(d.minArgs) || !Number.isInteger(d.maxArgs) || (d.minArgs as number) < 0 || (d.maxArgs as number) < (d.minArgs as number)) {
    return fail('minArgs and maxArgs must be integers with 0 ≤ minArgs ≤ maxArgs');
  }
  if ('kernel' in d) fail('kernel is reserved for built-in aggregates');
  const methods = d.kind === 'aggregate' ? aggregateMethods : scalarMethods;
  for (const m of methods) if (typeof d[m] !== 'function') fail(`missing method ${m}()`);
  const name = d.name.toUpperCase();
  if (d.kind === 'scalar') {
    const s = d as unknown as ScalarFunction;
    return { ...s, name, returnType: checkedReturnType(name, s.returnType.bind(s)), call: guard(name, 'call', s.call.bind(s)) };
  }
  const a = d as unknown as AggregateFunction;
  const wrapped: AggregateFunction = {
    ...a,
    name,
    returnType: checkedReturnType(name, a.returnType.bind(a)),
    init: guard(name, 'init', a.init.bind(a)),
    add: guard(name, 'add', a.add.bind(a)),
    merge: guard(name, 'merge', a.merge.bind(a)),
    result: guard(name, 'result', a.result.bind(a)),
    serialize: guard(name, 'serialize', a.serialize.bind(a)),
    deserialize: guard(name, 'deserialize', a.deserialize.bind(a)),
  };
  if (a.checkParams) wrapped.checkParams = guard(name, 'checkParams', a.checkParams.bind(a));
  return wrapped;
}

/**
 * Validates and registers user function modules. Throws FunctionError naming the module and
 * the problem on the first malformed one, so start-up fails clearly. Built-in names cannot be replaced.
 */
export function registerPlugins(registry: FunctionRegistry, modules: PluginModule[]): FunctionRegistry {
  for (const mod of modules) {
    const ns = mod.exports as { default?: unknown } | null;
    const exported = ns !== null && typeof ns === 'object' && 'default' in ns ? ns.default : mod.exports;
    const defs = Array.isArray(exported) ? (exported as unknown[]) : [exported];
    for (const def of defs) {
      const f = validate(def, mod.source);
      if (registry.get(f.name)) throw new FunctionError(f.name, `a function named ${f.name} already exists (in ${mod.source})`);
      registry.register(f);
    }
  }
  return registry;
}

/**
 * Imports the given module files with the caller's importer (the runtime passes `(p) => import(p)`
 * over the folder listing; this module does no I/O itself) and registers them.
 * Any module that fails to import or validate becomes a FunctionError naming the file.
 */
export async function loadPlugins(registry: FunctionRegistry, files: string[], importer: (file: string) => Promise<unknown>): Promise<FunctionRegistry> {
  const modules: PluginModule[] = [];
  for (const file of [...files].sort()) {
    try {
      modules.push({ source: file, exports: await importer(file) });
    } catch (err) {
      throw new FunctionError(file, `cannot load function module: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return registerPlugins(registry, modules);
}
