// REGEXP_LIKE, REGEXP_EXTRACT and REGEXP_REPLACE on RE2 (re2js): matching is linear in the text
// whatever the pattern, so a hostile pattern or value cannot stall the event loop (no backtracking).
// Semantics follow DuckDB: REGEXP_REPLACE replaces the first match unless the options hold 'g';
// `\1` in a replacement is a group; 'i' in the options ignores case.
import { RE2JS } from 're2js';
import type { SqlType } from './sql-types.js';
import type { ScalarFunction, TypeCheck } from './types.js';
import { checkTextLength, maxTextLength } from './limits.js';
import { valueText } from './values.js';

/** Patterns longer than this are refused (their compiled program grows with them). */
export const MAX_PATTERN_LENGTH = 10_000;

const cache = new Map<string, RE2JS>();

function compile(pattern: string, options: string): RE2JS {
  const key = `${options}\u0000${pattern}`;
  let re = cache.get(key);
  if (!re) {
    if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`a pattern of ${pattern.length} characters is over the limit of ${MAX_PATTERN_LENGTH}`);
    for (const o of options) if (!'gic'.includes(o)) throw new Error(`unknown regular expression option '${o}' (g, i, c)`);
    // 'c' is case-sensitive (the default); a later 'i' or 'c' wins, as in DuckDB.
    const insensitive = [...options].filter((o) => o === 'i' || o === 'c').pop() === 'i';
    re = RE2JS.compile(pattern, insensitive ? RE2JS.CASE_INSENSITIVE : 0);
    if (cache.size >= 256) cache.clear();
    cache.set(key, re);
  }
  return re;
}

const text = valueText;

const textArgs = (name: string, result: SqlType) => (args: SqlType[]): TypeCheck => {
  const bad = args.find((t, i) => i < 3 && t !== 'varchar' && t !== 'any' && t !== 'null');
  return bad !== undefined && args.indexOf(bad) !== 2 ? { error: `${name} needs text, not ${bad}` } : result;
};

// DuckDB writes groups as \1; re2js (Java's syntax) as $1, with a literal $ written $$.
const javaReplacement = (r: string): string => r.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1').replace(/\\\\/g, '\\');

export const regexpScalars: ScalarFunction[] = [
  {
    kind: 'scalar', name: 'REGEXP_LIKE', minArgs: 2, maxArgs: 3, returnType: textArgs('REGEXP_LIKE', 'boolean'),
    call: (a) => compile(text(a[1]), a.length > 2 ? text(a[2]) : '').matcher(text(a[0])).find(),
  },
  {
    kind: 'scalar', name: 'REGEXP_EXTRACT', minArgs: 2, maxArgs: 3, returnType: (args) => textArgs('REGEXP_EXTRACT', 'varchar')(args.slice(0, 2)),
    call: (a) => {
      const re = compile(text(a[1]), '');
      const group = a.length > 2 ? Number(a[2]) : 0;
      if (!Number.isInteger(group) || group < 0 || group > re.groupCount()) throw new Error(`the pattern has no group ${String(a[2])}`);
      const m = re.matcher(text(a[0]));
      // No match is '' (DuckDB), as is a group that took no part in it.
      return m.find() ? (m.group(group) ?? '') : '';
    },
  },
  {
    kind: 'scalar', name: 'REGEXP_REPLACE', minArgs: 3, maxArgs: 4, returnType: textArgs('REGEXP_REPLACE', 'varchar'),
    call: (a) => {
      const options = a.length > 3 ? text(a[3]) : '';
      const re = compile(text(a[1]), options);
      const s = text(a[0]);
      const written = text(a[2]);
      const global = options.includes('g');
      // Bound the result before building it: each match adds the replacement, each group in it up to the whole text.
      const refs = (written.match(/\\\d/g) ?? []).length;
      const worst = (n: number) => s.length + n * (written.length + refs * s.length);
      if (worst(global ? s.length + 1 : 1) > maxTextLength) {
        let n = 0;
        const counter = re.matcher(s);
        while (counter.find() && (global || n < 1)) n++;
        checkTextLength(worst(n), 'REGEXP_REPLACE');
      }
      const m = re.matcher(s);
      const replacement = javaReplacement(written);
      return global ? m.replaceAll(replacement) : m.replaceFirst(replacement);
    },
  },
];
