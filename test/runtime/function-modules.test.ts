// FUNCTIONS_DIR loads the modules inside it, and refuses a symlink leading outside it (code nobody
// put in the folder must not run).
import t from 'tap';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFunctionModules } from '../../src/runtime/function-modules.js';

const MODULE = "export default { kind: 'scalar', name: 'TWICE', minArgs: 1, maxArgs: 1, returnType: () => 'double', call: ([x]) => Number(x) * 2 };\n";

t.test('modules inside the folder load; a link outside it is refused', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sg-fn-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'functions');
  mkdirSync(dir);
  writeFileSync(join(dir, 'twice.mjs'), MODULE);
  const registry = await loadFunctionModules(dir);
  t.ok(registry.scalar('TWICE'), 'a module in the folder is loaded');

  const outside = join(root, 'elsewhere.mjs');
  writeFileSync(outside, MODULE.replace('TWICE', 'SNEAKY'));
  symlinkSync(outside, join(dir, 'sneaky.mjs'));
  await t.rejects(loadFunctionModules(dir), /leads outside FUNCTIONS_DIR/, 'a symlink out of the folder stops start-up');

  // A folder that is itself a link is fine: its own real path is the boundary.
  rmSync(join(dir, 'sneaky.mjs'));
  symlinkSync(dir, join(root, 'linked'));
  t.ok((await loadFunctionModules(join(root, 'linked'))).scalar('TWICE'), 'FUNCTIONS_DIR may itself be a link');
});
