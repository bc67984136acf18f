// Value order: texts compare by code point (UTF-8 byte order, as DuckDB and PostgreSQL), not UTF-16.
import t from 'tap';
import fc from 'fast-check';
import { compareText, compareValues } from '../../src/functions/index.js';

void t.test('compareText orders as UTF-8 bytes do, on random Unicode text', (t) => {
  const sign = (n: number) => Math.sign(n);
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 8 }), (a, b) =>
      sign(compareText(a, b)) === sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))),
    { numRuns: 20_000 },
  );
  t.end();
});

void t.test('a character above U+FFFF sorts after U+FFFD (UTF-16 order would put it first)', (t) => {
  t.ok(compareText('😀', '\uFFFD') > 0);
  t.ok(compareValues('😀', '\uE000') > 0);
  t.ok(compareText('a', 'ab') < 0);
  t.equal(compareText('ü', 'ü'), 0);
  t.end();
});
