// Loads the user function modules of FUNCTIONS_DIR into a registry beside the built-ins.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultRegistry, type FunctionRegistry } from '../sql/functions/registry.js';
import { loadPlugins } from '../sql/functions/plugins.js';

/**
 * The registry queries compile against. A module that cannot be imported or is malformed throws a
 * FunctionError naming the file, so start-up stops with a clear message.
 */
export async function loadFunctionModules(dir: string | undefined): Promise<FunctionRegistry> {
  const registry = defaultRegistry();
  if (!dir) return registry;
  const folder = resolve(dir);
  const files = readdirSync(folder)
    .filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))
    .map((f) => join(folder, f));
  return loadPlugins(registry, files, (file) => import(pathToFileURL(file).href));
}
