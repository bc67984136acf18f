// Loads the user function modules of FUNCTIONS_DIR into a registry beside the built-ins.
import { readdirSync, realpathSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { FunctionError } from '../functions/index.js';
import { pathToFileURL } from 'node:url';
import { defaultRegistry, type FunctionRegistry } from '../functions/index.js';
import { loadPlugins } from '../functions/index.js';

/**
 * The registry queries compile against. A module that cannot be imported or is malformed throws a
 * FunctionError naming the file, so start-up stops with a clear message.
 */
export async function loadFunctionModules(dir: string | undefined): Promise<FunctionRegistry> {
  const registry = defaultRegistry();
  if (!dir) return registry;
  const folder = realpathSync(resolve(dir));
  const files = readdirSync(folder)
    .filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))
    .map((f) => join(folder, f));
  // A link out of the folder would load code nobody put in FUNCTIONS_DIR: only what lies inside runs.
  const outside = files.filter((f) => !realpathSync(f).startsWith(folder + sep));
  if (outside.length > 0) throw new FunctionError(basename(outside[0]!), `${outside[0]} leads outside FUNCTIONS_DIR (${folder}); copy the module in instead of linking it`);
  return loadPlugins(registry, files, (file) => import(pathToFileURL(realpathSync(file)).href));
}
