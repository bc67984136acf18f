// The function reference: every registered function has an entry with a NULL example, every
// example gives its documented result through the engine (golden), and the page is up to date.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { compileQuery, defaultRegistry } from '../../src/sql/compile.js';
import { createEngine } from '../../src/engine/index.js';
import { functionDocs } from '../../src/functions/index.js';
import { documentedNames, generatedReference, REFERENCE_PATH } from '../helpers/reference-page.js';

const registry = defaultRegistry();
const ONE = { k: 1, s: 'héllo', n: -2.5, i: 7, t: '2026-03-01T12:34:56.789Z' };
const FIVE = [3, 1, null, 3, 7].map((x, j) => ({ id: `0-${j}`, ts: 1000 + j, data: { x, s: ['b', 'a', null, 'b', 'c'][j] } }));

function evaluate(name: string, expr: string): unknown {
  if (registry.aggregate(name) !== undefined) {
    const e = createEngine(compileQuery(`SELECT ${expr} AS v FROM s`).plan, { emit: 'changes', latenessMs: 0 });
    e.apply(FIVE);
    return e.rows()[0]?.row.v;
  }
  const e = createEngine(compileQuery(`SELECT k, ${expr} AS v, COUNT(*) AS n FROM s GROUP BY k, v`).plan, { emit: 'changes', latenessMs: 0 });
  e.apply([{ id: '0-1', ts: 1, data: ONE }]);
  return e.rows()[0]?.row.v;
}

void t.test('every function has an entry, and scalars show a NULL argument', (t) => {
  const missing = documentedNames().filter((n) => !functionDocs[n]);
  t.same(missing, [], 'no function without an entry');
  const stale = Object.keys(functionDocs).filter((n) => !documentedNames().includes(n));
  t.same(stale, [], 'no entry without a function');
  for (const name of documentedNames()) {
    if (registry.aggregate(name) !== undefined) continue;
    t.ok(functionDocs[name]?.examples.some(([sql]) => /NULL/.test(sql)), `${name} has a NULL example`);
  }
  t.end();
});

void t.test('every example gives its documented result', (t) => {
  for (const [name, doc] of Object.entries(functionDocs)) {
    for (const [sql, want] of doc.examples) {
      let got: unknown;
      try {
        got = evaluate(name, sql);
      } catch (err) {
        t.fail(`${sql}: ${(err as Error).message}`);
        continue;
      }
      t.same(got, want, `${sql} → ${JSON.stringify(want)}`);
    }
  }
  t.end();
});

void t.test(`${REFERENCE_PATH} is generated from the registry (npm run docs:functions)`, (t) => {
  t.equal(readFileSync(REFERENCE_PATH, 'utf8'), generatedReference());
  t.end();
});
