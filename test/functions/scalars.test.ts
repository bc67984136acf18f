// Built-in scalar functions: string, math and time behaviour at the edges.
import t from 'tap';
import { builtinScalars } from '../../src/functions/index.js';

const call = (name: string, ...args: unknown[]): unknown => {
  const f = builtinScalars.find((x) => x.name === name);
  if (!f) throw new Error(`no ${name}`);
  return f.call(args);
};
const T = Date.UTC(2026, 4, 17, 13, 45, 30, 250); // a Sunday

void t.test('string functions count characters, not UTF-16 units', (t) => {
  t.equal(call('LENGTH', 'h€llo😀'), 6);
  t.equal(call('SUBSTRING', 'h€llo😀', 2, 3), '€ll');
  t.equal(call('SUBSTRING', 'hello', 0, 2), 'h');
  t.equal(call('UPPER', 'abc'), 'ABC');
  t.equal(call('TRIM', '  a  '), 'a');
  t.equal(call('TRIM', '\t a \n'), '\t a \n', 'spaces only, as DuckDB: tabs and newlines stay');
  t.equal(call('RTRIM', 'a' + ' '.repeat(100_000) + 'b'), 'a' + ' '.repeat(100_000) + 'b');
  t.equal(call('LTRIM', '  a  '), 'a  ');
  t.equal(call('RTRIM', '  a  '), '  a');
  t.equal(call('REPLACE', 'a-b-c', '-', '+'), 'a+b+c');
  t.equal(call('CONCAT', 'a', null, 1), 'a1');
  t.end();
});

void t.test('math functions round half away from zero and refuse impossible inputs with NULL', (t) => {
  t.equal(call('ROUND', 2.5), 3);
  t.equal(call('ROUND', -2.5), -3);
  t.equal(call('ROUND', 1.234, 2), 1.23);
  t.equal(call('SQRT', -1), null);
  t.equal(call('MOD', 7, 0), null);
  t.equal(call('MOD', -7, 3), -1);
  t.equal(call('POWER', 2, 10), 1024);
  t.equal(call('CEIL', 1.1), 2);
  t.equal(call('FLOOR', -1.1), -2);
  t.equal(call('ABS', '-3'), 3);
  t.end();
});

void t.test('DATE_TRUNC truncates in UTC to every supported unit', (t) => {
  t.equal(call('DATE_TRUNC', 'minute', T), Date.UTC(2026, 4, 17, 13, 45));
  t.equal(call('DATE_TRUNC', 'hour', T), Date.UTC(2026, 4, 17, 13));
  t.equal(call('DATE_TRUNC', 'day', new Date(T).toISOString()), Date.UTC(2026, 4, 17));
  t.equal(call('DATE_TRUNC', 'week', T), Date.UTC(2026, 4, 11));
  t.equal(call('DATE_TRUNC', 'month', T), Date.UTC(2026, 4, 1));
  t.equal(call('DATE_TRUNC', 'quarter', T), Date.UTC(2026, 3, 1));
  t.equal(call('DATE_TRUNC', 'year', T), Date.UTC(2026, 0, 1));
  t.equal(call('DATE_TRUNC', 'day', 'not a time'), null);
  t.end();
});

void t.test('EXTRACT reads UTC fields', (t) => {
  const fields: [string, number][] = [['YEAR', 2026], ['QUARTER', 2], ['MONTH', 5], ['DAY', 17], ['HOUR', 13], ['MINUTE', 45], ['SECOND', 30], ['MILLISECOND', 30_250], ['DOW', 0], ['DOY', 137], ['EPOCH', T / 1000]];
  for (const [f, want] of fields) t.equal(call('EXTRACT', f, T), want, f);
  t.end();
});

void t.test('COALESCE returns the first non-null and NULLIF nulls equal values', (t) => {
  t.equal(call('COALESCE', null, null, 3), 3);
  t.equal(call('COALESCE', null), null);
  t.equal(call('NULLIF', 1, 1), null);
  t.equal(call('NULLIF', 1, 2), 1);
  t.end();
});

void t.test('text-building functions refuse a result over the text limit instead of building it', async (t) => {
  const { ValueLimitError, maxTextLength } = await import('../../src/functions/limits.js');
  const x = 'a'.repeat(8192);
  t.throws(() => call('REPLACE', x, 'a', x), ValueLimitError, 'an 8 KB input would build 64 M characters');
  t.throws(() => call('REPEAT', 'ab', maxTextLength), ValueLimitError);
  t.throws(() => call('LPAD', 'a', maxTextLength + 1, 'x'), ValueLimitError);
  t.throws(() => call('RPAD', 'a', 1e12), ValueLimitError);
  t.throws(() => call('CONCAT', 'a'.repeat(maxTextLength), 'b'), ValueLimitError);
  t.equal((call('REPEAT', 'ab', maxTextLength / 2) as string).length, maxTextLength, 'exactly at the limit is allowed');
  t.end();
});

void t.test('REPLACE with an empty search text changes nothing (DuckDB, PostgreSQL)', (t) => {
  t.equal(call('REPLACE', 'abc', '', 'x'), 'abc');
  t.end();
});

void t.test('REPEAT, LPAD and RPAD follow PostgreSQL', (t) => {
  t.equal(call('REPEAT', 'ab', 3), 'ababab');
  t.equal(call('REPEAT', 'ab', 0), '');
  t.equal(call('REPEAT', 'ab', -2), '');
  t.equal(call('LPAD', 'abc', 6, 'xy'), 'xyxabc');
  t.equal(call('RPAD', 'abc', 6, 'xy'), 'abcxyx');
  t.equal(call('LPAD', 'abc', 2, 'x'), 'ab', 'a longer text is cut');
  t.equal(call('RPAD', 'abc', 5), 'abc  ', 'space by default');
  t.equal(call('LPAD', 'abc', 5, ''), 'abc', 'an empty fill leaves the text');
  t.equal(call('LPAD', '😀', 3, 'é'), 'éé😀', 'counts characters');
  t.end();
});
