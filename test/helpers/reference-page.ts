// The function reference page as generated from the registry and src/functions/reference.ts.
import { defaultRegistry } from '../../src/sql/compile.js';
import { referencePage } from '../../src/functions/index.js';

/** Forms that are not registry names but have their own entry (POSITION(x IN s) becomes STRPOS). */
export const KEYWORD_FORMS = ['POSITION'];

export const REFERENCE_PATH = 'src/functions/REFERENCE.md';

export function documentedNames(): string[] {
  return [...new Set([...defaultRegistry().names(), ...KEYWORD_FORMS])].sort();
}

export function generatedReference(): string {
  const registry = defaultRegistry();
  return referencePage(documentedNames(), (n) => registry.aggregate(n) !== undefined);
}
