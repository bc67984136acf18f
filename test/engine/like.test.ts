// LIKE: the linear-time matcher agrees with a regular-expression reference on random patterns.
import t from 'tap';
import fc from 'fast-check';
import { likeMatch } from '../../src/engine/index.js';

// The reference: LIKE translated into an anchored regular expression over code points.
function reference(text: string, pattern: string, ci: boolean): boolean {
  let re = '';
  const cps = [...(ci ? pattern.toLowerCase() : pattern)];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c === '\\' && i + 1 < cps.length) re += (cps[++i] as string).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'su').test(ci ? text.toLowerCase() : text);
}

const alphabet = ['a', 'b', 'A', '😀', 'é'];
const textArb = fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }).map((a) => a.join(''));
const patternArb = fc.array(fc.constantFrom(...alphabet, '%', '_', '\\%', '\\_', '%%'), { maxLength: 8 }).map((a) => a.join(''));

void t.test('likeMatch equals the regular-expression reference on random texts and patterns', (t) => {
  fc.assert(
    fc.property(textArb, patternArb, fc.boolean(), (text, pattern, ci) => likeMatch(text, pattern, ci) === reference(text, pattern, ci)),
    { numRuns: 20_000 },
  );
  t.end();
});

void t.test('segments longer than one 32-bit word match across word boundaries', (t) => {
  const seg = Array.from({ length: 70 }, (_, i) => (i % 7 === 3 ? '_' : 'ab'[i % 2])).join('');
  const text = 'x'.repeat(100) + seg.replace(/_/g, 'z') + 'y'.repeat(50);
  t.ok(likeMatch(text, `x%${seg}%y`, false));
  t.notOk(likeMatch(text.replace(/z/, 'zz'), `x%${seg}%y`, false));
  t.end();
});

void t.test('a 400 KB value against a 2,000-character pattern gives the right answer', (t) => {
  const value = 'a'.repeat(400_000);
  t.notOk(likeMatch(value, '%' + 'a_'.repeat(1000) + 'b%', false), 'no b anywhere');
  t.ok(likeMatch(value + 'b', '%' + 'a_'.repeat(999) + 'ab', false), 'matches at the end');
  t.notOk(likeMatch(value, '%a'.repeat(1000) + '%b', false), 'many % segments');
  t.end();
});

void t.test('ESCAPE: the given character escapes, a backslash is then literal; empty means none', async (t) => {
  const { compileQuery } = await import('../../src/sql/compile.js');
  const { createEngine } = await import('../../src/engine/query-engine.js');
  const count = (where: string, value: string): number => {
    const e = createEngine(compileQuery(`SELECT COUNT(*) AS n FROM s WHERE ${where}`).plan, { emit: 'changes', latenessMs: 0 });
    return (e.apply([{ id: '1-0', ts: 1, data: { x: value } }]).changes[0]?.row.n as number | undefined) ?? 0;
  };
  t.equal(count("x LIKE 'a!%' ESCAPE '!'", 'a%'), 1, "'a!%' ESCAPE '!' matches a%");
  t.equal(count("x LIKE 'a!%' ESCAPE '!'", 'ab'), 0, 'and only a%');
  t.equal(count("x LIKE 'a\\%' ESCAPE '!'", 'a\\xyz'), 1, 'with another escape, a backslash is an ordinary character');
  t.equal(count("x LIKE 'a\\%'", 'a%'), 1, 'without ESCAPE, the backslash escapes (PostgreSQL)');
  t.equal(count("x LIKE 'a\\%' ESCAPE ''", 'a\\bc'), 1, "ESCAPE '' turns escaping off");
  t.equal(count("x NOT ILIKE 'A#_' ESCAPE '#'", 'ab'), 1, 'NOT ILIKE with ESCAPE');
  t.throws(() => compileQuery("SELECT COUNT(*) AS n FROM s WHERE x LIKE 'a' ESCAPE 'ab'"), /ESCAPE must be one character/);
  t.end();
});
