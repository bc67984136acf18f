// The README's configuration table and the config schema name the same variables, with the same defaults.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../../src/config.js';
import { projectRoot } from '../../src/util/project-root.js';

const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
/** Rows of the form | `NAME` | `default` or text | meaning |, keyed by NAME. */
const rows = new Map<string, string>();
for (const m of readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/gm)) rows.set(m[1]!, m[2]!.trim());

t.test('every variable the gateway reads is documented in the README', async (t) => {
  const properties = configSchema.properties as Record<string, { default?: string | number | boolean }>;
  for (const [name, spec] of Object.entries(properties)) {
    if (name.startsWith('SG_TEST_')) continue; // knobs for fault tests, not for users
    const row = rows.get(name);
    t.ok(row !== undefined, `${name} has a README row`);
    if (row === undefined || spec.default === undefined || spec.default === '') continue;
    const documented = /^`([^`]*)`/.exec(row)?.[1]?.replaceAll(',', '').replaceAll('_', '');
    t.equal(documented, String(spec.default), `${name}: README default matches the schema`);
  }
});

t.test('the README documents no variable the gateway does not read', async (t) => {
  const properties = configSchema.properties as Record<string, unknown>;
  for (const name of rows.keys()) t.ok(name in properties, `${name} is read by src/config.ts`);
});
