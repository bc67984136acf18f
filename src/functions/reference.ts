// The function reference: signature, NULL behaviour and examples of every registered function.
// docs/functions.md is generated from this (npm run docs:functions), and a test runs every example
// through the engine, so the page cannot drift from what the functions do.

export interface FunctionDoc {
  signature: string;
  does: string;
  nulls: string;
  /**
   * [expression, result]. Scalars are evaluated on one event {s: 'héllo', n: -2.5, i: 7, t:
   * '2026-03-01T12:34:56.789Z'}; aggregates over the events x = 3, 1, NULL, 3, 7 and s = 'b', 'a',
   * NULL, 'b', 'c' (in that order, one millisecond apart).
   */
  examples: [string, unknown][];
}

const NULL_IN_NULL_OUT = 'NULL when any argument is NULL';
const SKIPS = 'NULL inputs are skipped; NULL when no input is left';

export const functionDocs: Record<string, FunctionDoc> = {
  // Text
  LOWER: { signature: 'LOWER(text) → VARCHAR', does: 'lower case (Unicode)', nulls: NULL_IN_NULL_OUT, examples: [["LOWER('ÉtÉ')", 'été'], ['LOWER(NULL)', null]] },
  UPPER: { signature: 'UPPER(text) → VARCHAR', does: 'upper case (Unicode)', nulls: NULL_IN_NULL_OUT, examples: [['UPPER(s)', 'HÉLLO'], ['UPPER(NULL)', null]] },
  LENGTH: { signature: 'LENGTH(text) → INTEGER', does: 'characters (code points)', nulls: NULL_IN_NULL_OUT, examples: [["LENGTH('a😀')", 2], ['LENGTH(NULL)', null]] },
  CHAR_LENGTH: { signature: 'CHAR_LENGTH(text) → INTEGER', does: 'as LENGTH', nulls: NULL_IN_NULL_OUT, examples: [['CHAR_LENGTH(s)', 5], ['CHAR_LENGTH(NULL)', null]] },
  CHARACTER_LENGTH: { signature: 'CHARACTER_LENGTH(text) → INTEGER', does: 'as LENGTH', nulls: NULL_IN_NULL_OUT, examples: [['CHARACTER_LENGTH(s)', 5], ['CHARACTER_LENGTH(NULL)', null]] },
  SUBSTRING: { signature: 'SUBSTRING(text, start[, count]) or SUBSTRING(text FROM start [FOR count]) → VARCHAR', does: 'characters from 1-based start', nulls: NULL_IN_NULL_OUT, examples: [['SUBSTRING(s, 2, 3)', 'éll'], ['SUBSTRING(s FROM 4)', 'lo'], ['SUBSTRING(NULL, 1)', null]] },
  SUBSTR: { signature: 'SUBSTR(text, start[, count]) → VARCHAR', does: 'as SUBSTRING', nulls: NULL_IN_NULL_OUT, examples: [['SUBSTR(s, 2)', 'éllo'], ['SUBSTR(s, NULL)', null]] },
  LEFT: { signature: 'LEFT(text, n) → VARCHAR', does: 'the first n characters; negative n: all but the last |n|', nulls: NULL_IN_NULL_OUT, examples: [['LEFT(s, 2)', 'hé'], ['LEFT(s, -2)', 'hél'], ['LEFT(NULL, 2)', null]] },
  RIGHT: { signature: 'RIGHT(text, n) → VARCHAR', does: 'the last n characters; negative n: all but the first |n|', nulls: NULL_IN_NULL_OUT, examples: [['RIGHT(s, 2)', 'lo'], ['RIGHT(s, NULL)', null]] },
  STRPOS: { signature: 'STRPOS(text, part) → INTEGER', does: '1-based position of part, 0 when absent', nulls: NULL_IN_NULL_OUT, examples: [["STRPOS(s, 'l')", 3], ["STRPOS(s, 'z')", 0], ["STRPOS(NULL, 'a')", null]] },
  POSITION: { signature: 'POSITION(part IN text) → INTEGER', does: 'STRPOS(text, part)', nulls: NULL_IN_NULL_OUT, examples: [["POSITION('é' IN s)", 2], ["POSITION('l' IN CAST(NULL AS VARCHAR))", null]] },
  REVERSE: { signature: 'REVERSE(text) → VARCHAR', does: 'characters in reverse order', nulls: NULL_IN_NULL_OUT, examples: [['REVERSE(s)', 'olléh'], ['REVERSE(NULL)', null]] },
  CONCAT: { signature: 'CONCAT(value, …) → VARCHAR', does: 'the values as text, joined', nulls: 'NULL arguments are skipped', examples: [["CONCAT(s, '-', i)", 'héllo-7'], ["CONCAT(NULL, 'a')", 'a']] },
  CONCAT_WS: { signature: 'CONCAT_WS(separator, value, …) → VARCHAR', does: 'the values joined by the separator', nulls: 'NULL values are skipped; NULL when the separator is NULL', examples: [["CONCAT_WS(',', 'a', NULL, 'b')", 'a,b'], ["CONCAT_WS(NULL, 'a')", null]] },
  TRIM: { signature: 'TRIM(text[, characters]) or TRIM([BOTH | LEADING | TRAILING] [characters] FROM text) → VARCHAR', does: 'removes the characters (default: spaces only) from both ends', nulls: NULL_IN_NULL_OUT, examples: [["TRIM('  a  ')", 'a'], ["TRIM(BOTH 'h' FROM s)", 'éllo'], ['TRIM(NULL)', null]] },
  LTRIM: { signature: 'LTRIM(text[, characters]) → VARCHAR', does: 'removes the characters (default: spaces) from the start', nulls: NULL_IN_NULL_OUT, examples: [["LTRIM('  a  ')", 'a  '], ["LTRIM(s, 'hé')", 'llo'], ['LTRIM(NULL)', null]] },
  RTRIM: { signature: 'RTRIM(text[, characters]) → VARCHAR', does: 'removes the characters (default: spaces) from the end', nulls: NULL_IN_NULL_OUT, examples: [["RTRIM('  a  ')", '  a'], ["RTRIM(s, 'o')", 'héll'], ['RTRIM(NULL)', null]] },
  REPLACE: { signature: 'REPLACE(text, search, replacement) → VARCHAR', does: 'every occurrence replaced; an empty search changes nothing', nulls: NULL_IN_NULL_OUT, examples: [["REPLACE(s, 'l', 'L')", 'héLLo'], ["REPLACE(s, '', 'x')", 'héllo'], ["REPLACE(s, NULL, 'x')", null]] },
  REPEAT: { signature: 'REPEAT(text, n) → VARCHAR', does: 'the text n times (at most 1 Mi characters)', nulls: NULL_IN_NULL_OUT, examples: [["REPEAT('ab', 3)", 'ababab'], ['REPEAT(NULL, 2)', null]] },
  LPAD: { signature: 'LPAD(text, n[, fill]) → VARCHAR', does: 'padded on the left with fill (default space) to n characters, or cut to n', nulls: NULL_IN_NULL_OUT, examples: [["LPAD('7', 3, '0')", '007'], ['LPAD(s, 2)', 'hé'], ['LPAD(NULL, 3)', null]] },
  RPAD: { signature: 'RPAD(text, n[, fill]) → VARCHAR', does: 'padded on the right to n characters, or cut to n', nulls: NULL_IN_NULL_OUT, examples: [["RPAD('7', 3, '*')", '7**'], ['RPAD(s, NULL)', null]] },
  SPLIT_PART: { signature: 'SPLIT_PART(text, separator, n) → VARCHAR', does: 'the n-th part (1-based; negative from the end; out of range: empty)', nulls: NULL_IN_NULL_OUT, examples: [["SPLIT_PART('a,b,c', ',', 2)", 'b'], ["SPLIT_PART('a,b,c', ',', -1)", 'c'], ["SPLIT_PART(NULL, ',', 1)", null]] },
  REGEXP_LIKE: { signature: "REGEXP_LIKE(text, pattern[, options]) → BOOLEAN", does: "whether the RE2 pattern matches anywhere; options 'i' ignore case", nulls: NULL_IN_NULL_OUT, examples: [["REGEXP_LIKE(s, 'l+o$')", true], ["REGEXP_LIKE(s, 'H', 'i')", true], ['REGEXP_LIKE(NULL, \'a\')', null]] },
  REGEXP_EXTRACT: { signature: 'REGEXP_EXTRACT(text, pattern[, group]) → VARCHAR', does: "the first match (or its group); '' when nothing matches", nulls: NULL_IN_NULL_OUT, examples: [["REGEXP_EXTRACT(s, 'l(l)o', 1)", 'l'], ["REGEXP_EXTRACT(s, 'z')", ''], ["REGEXP_EXTRACT(NULL, 'a')", null]] },
  REGEXP_REPLACE: { signature: 'REGEXP_REPLACE(text, pattern, replacement[, options]) → VARCHAR', does: "the first match replaced (every match with option 'g'); \\1 is a group", nulls: NULL_IN_NULL_OUT, examples: [["REGEXP_REPLACE(s, 'l', 'L')", 'héLlo'], ["REGEXP_REPLACE(s, '(l+)', '[\\1]', 'g')", 'hé[ll]o'], ["REGEXP_REPLACE(NULL, 'a', 'b')", null]] },
  // Numbers
  ABS: { signature: 'ABS(number) → same type', does: 'absolute value (exact for DECIMAL)', nulls: NULL_IN_NULL_OUT, examples: [['ABS(n)', 2.5], ['ABS(-1.50)', 1.5], ['ABS(NULL)', null]] },
  SIGN: { signature: 'SIGN(number) → INTEGER', does: '-1, 0 or 1', nulls: NULL_IN_NULL_OUT, examples: [['SIGN(n)', -1], ['SIGN(0)', 0], ['SIGN(NULL)', null]] },
  ROUND: { signature: 'ROUND(number[, digits]) → same type', does: 'half away from zero; DECIMAL exactly', nulls: NULL_IN_NULL_OUT, examples: [['ROUND(0.285, 2)', 0.29], ['ROUND(n)', -3], ['ROUND(1234.5, -2)', 1200], ['ROUND(NULL, 1)', null]] },
  TRUNC: { signature: 'TRUNC(number[, digits]) → same type', does: 'toward zero', nulls: NULL_IN_NULL_OUT, examples: [['TRUNC(n)', -2], ['TRUNC(1.579, 2)', 1.57], ['TRUNC(NULL)', null]] },
  FLOOR: { signature: 'FLOOR(number) → same type', does: 'the greatest integer not above', nulls: NULL_IN_NULL_OUT, examples: [['FLOOR(n)', -3], ['FLOOR(NULL)', null]] },
  CEIL: { signature: 'CEIL(number) → same type', does: 'the least integer not below', nulls: NULL_IN_NULL_OUT, examples: [['CEIL(n)', -2], ['CEIL(NULL)', null]] },
  CEILING: { signature: 'CEILING(number) → same type', does: 'as CEIL', nulls: NULL_IN_NULL_OUT, examples: [['CEILING(1.2)', 2], ['CEILING(NULL)', null]] },
  MOD: { signature: 'MOD(a, b) → number', does: "remainder with a's sign; NULL when b is 0", nulls: NULL_IN_NULL_OUT, examples: [['MOD(i, 3)', 1], ['MOD(-7, 3)', -1], ['MOD(i, 0)', null], ['MOD(NULL, 3)', null]] },
  SQRT: { signature: 'SQRT(number) → DOUBLE', does: 'square root; NULL below 0', nulls: NULL_IN_NULL_OUT, examples: [['SQRT(2.25)', 1.5], ['SQRT(n)', null], ['SQRT(NULL)', null]] },
  POWER: { signature: 'POWER(base, exponent) → DOUBLE', does: 'base to the exponent', nulls: NULL_IN_NULL_OUT, examples: [['POWER(2, 10)', 1024], ['POWER(NULL, 2)', null]] },
  POW: { signature: 'POW(base, exponent) → DOUBLE', does: 'as POWER', nulls: NULL_IN_NULL_OUT, examples: [['POW(i, 2)', 49], ['POW(2, NULL)', null]] },
  LN: { signature: 'LN(number) → DOUBLE', does: 'natural logarithm; NULL at 0 or below', nulls: NULL_IN_NULL_OUT, examples: [['LN(1)', 0], ['LN(0)', null], ['LN(NULL)', null]] },
  EXP: { signature: 'EXP(number) → DOUBLE', does: 'e to the number; NULL when it overflows', nulls: NULL_IN_NULL_OUT, examples: [['EXP(0)', 1], ['EXP(1000)', null], ['EXP(NULL)', null]] },
  GREATEST: { signature: 'GREATEST(value, …) → common type', does: 'the largest; values of different kinds: NULL', nulls: 'NULL arguments are skipped', examples: [['GREATEST(1, i, 3)', 7], ["GREATEST('b', 'a')", 'b'], ['GREATEST(NULL, 2)', 2]] },
  LEAST: { signature: 'LEAST(value, …) → common type', does: 'the smallest', nulls: 'NULL arguments are skipped', examples: [['LEAST(1, i, 3)', 1], ['LEAST(NULL, NULL)', null]] },
  // Conditionals
  COALESCE: { signature: 'COALESCE(value, …) → common type', does: 'the first value that is not NULL', nulls: 'NULL only when every argument is', examples: [["COALESCE(NULL, s, 'x')", 'héllo'], ['COALESCE(NULL, NULL)', null]] },
  IFNULL: { signature: 'IFNULL(value, fallback) → common type', does: 'COALESCE of two', nulls: 'NULL only when both are', examples: [['IFNULL(NULL, 2)', 2], ['IFNULL(NULL, NULL)', null]] },
  NULLIF: { signature: 'NULLIF(a, b) → type of a', does: 'NULL when a equals b, else a', nulls: 'NULL when a is NULL', examples: [['NULLIF(i, 7)', null], ['NULLIF(i, 8)', 7], ['NULLIF(NULL, 1)', null]] },
  // Time
  DATE_TRUNC: { signature: "DATE_TRUNC(unit, time) → TIMESTAMP", does: "time truncated to 'millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter' or 'year' (UTC)", nulls: NULL_IN_NULL_OUT, examples: [["DATE_TRUNC('hour', t)", '2026-03-01T12:00:00.000Z'], ["DATE_TRUNC('month', t)", '2026-03-01T00:00:00.000Z'], ["DATE_TRUNC('day', NULL)", null]] },
  EXTRACT: { signature: 'EXTRACT(field FROM time) → INTEGER', does: 'YEAR, QUARTER, MONTH, DAY, HOUR, MINUTE, SECOND, MILLISECOND(S) (seconds × 1000 + milliseconds), DOW (0 = Sunday), DOY or EPOCH (seconds) of a time (UTC)', nulls: NULL_IN_NULL_OUT, examples: [['EXTRACT(HOUR FROM t)', 12], ['EXTRACT(MILLISECONDS FROM t)', 56789], ['EXTRACT(YEAR FROM NULL)', null]] },
  TIMESTAMPDIFF: { signature: 'TIMESTAMPDIFF(unit, from, to) → INTEGER', does: 'whole units from from to to, toward zero: MILLISECOND … WEEK by length, MONTH, QUARTER, YEAR by the calendar', nulls: NULL_IN_NULL_OUT, examples: [["TIMESTAMPDIFF(MINUTE, TIMESTAMP '2026-03-01 12:00:00', t)", 34], ["TIMESTAMPDIFF(MONTH, TIMESTAMP '2026-01-31 00:00:00', t)", 1], ['TIMESTAMPDIFF(DAY, NULL, t)', null]] },
  // Aggregates
  COUNT: { signature: 'COUNT(*) | COUNT([DISTINCT] value) → INTEGER', does: 'events, or values that are not NULL', nulls: 'NULL values are not counted; 0 when none', examples: [['COUNT(*)', 5], ['COUNT(x)', 4], ['COUNT(DISTINCT x)', 3]] },
  SUM: { signature: 'SUM([DISTINCT] number) → same type', does: 'exact for integers (past 2^53 as text) and DECIMAL', nulls: SKIPS, examples: [['SUM(x)', 14], ['SUM(DISTINCT x)', 11], ['SUM(CAST(NULL AS INTEGER))', null]] },
  AVG: { signature: 'AVG([DISTINCT] number) → DOUBLE', does: 'mean of the exact sum', nulls: SKIPS, examples: [['AVG(x)', 3.5], ['AVG(CAST(NULL AS INTEGER))', null]] },
  MIN: { signature: 'MIN([DISTINCT] value) → same type', does: 'smallest (text by code point, lists element-wise)', nulls: SKIPS, examples: [['MIN(x)', 1], ['MIN(s)', 'a']] },
  MAX: { signature: 'MAX([DISTINCT] value) → same type', does: 'largest', nulls: SKIPS, examples: [['MAX(x)', 7], ['MAX(s)', 'c']] },
  STDDEV_SAMP: { signature: 'STDDEV_SAMP(number) → DOUBLE (alias STDDEV)', does: 'sample standard deviation', nulls: 'NULL inputs are skipped; NULL below two values', examples: [['ROUND(STDDEV_SAMP(x), 6)', 2.516611], ['STDDEV(CAST(NULL AS INTEGER))', null]] },
  STDDEV_POP: { signature: 'STDDEV_POP(number) → DOUBLE', does: 'population standard deviation', nulls: SKIPS, examples: [['ROUND(STDDEV_POP(x), 6)', 2.179449]] },
  VAR_SAMP: { signature: 'VAR_SAMP(number) → DOUBLE (alias VARIANCE)', does: 'sample variance', nulls: 'NULL inputs are skipped; NULL below two values', examples: [['ROUND(VAR_SAMP(x), 6)', 6.333333]] },
  VAR_POP: { signature: 'VAR_POP(number) → DOUBLE', does: 'population variance', nulls: SKIPS, examples: [['VAR_POP(x)', 4.75]] },
  FIRST_VALUE: { signature: 'FIRST_VALUE(value) → same type (alias FIRST)', does: 'the value of the earliest event (event time, then id)', nulls: SKIPS, examples: [['FIRST_VALUE(x)', 3], ['FIRST(s)', 'b']] },
  LAST_VALUE: { signature: 'LAST_VALUE(value) → same type (alias LAST)', does: 'the value of the latest event', nulls: SKIPS, examples: [['LAST_VALUE(x)', 7], ['LAST(s)', 'c']] },
  ARRAY_AGG: { signature: 'ARRAY_AGG([DISTINCT] value) → ARRAY (alias LIST)', does: 'values in event order (at most 10,000 and 8 Mi characters per group)', nulls: 'NULL values are kept', examples: [['ARRAY_AGG(x)', [3, 1, null, 3, 7]], ['ARRAY_AGG(DISTINCT s)', ['b', 'a', null, 'c']]] },
  APPROX_COUNT_DISTINCT: { signature: 'APPROX_COUNT_DISTINCT(value) → INTEGER', does: 'HyperLogLog estimate (about 0.8% error)', nulls: 'NULL values are not counted', examples: [['APPROX_COUNT_DISTINCT(x)', 3]] },
  APPROX_PERCENTILE: { signature: 'APPROX_PERCENTILE(number, p) → DOUBLE', does: 'the p-quantile (0 ≤ p ≤ 1) from a t-digest', nulls: SKIPS, examples: [['APPROX_PERCENTILE(x, 0)', 1], ['APPROX_PERCENTILE(x, 1)', 7]] },
  TOPK: { signature: 'TOPK(value, k) → ARRAY', does: 'the k most frequent values with their counts (space-saving sketch)', nulls: 'NULL values are not counted', examples: [['TOPK(x, 1)', [{ value: 3, count: 2 }]]] },
};

/** docs/functions.md. */
export function referencePage(names: string[], aggregate: (name: string) => boolean): string {
  const lines = [
    '# Function reference',
    '',
    'Generated from `src/functions/reference.ts` by `npm run docs:functions`; `test/functions/reference.test.ts`',
    'runs every example below through the engine. Scalar examples are evaluated on one event',
    "`{s: 'héllo', n: -2.5, i: 7, t: '2026-03-01T12:34:56.789Z'}`; aggregate examples over five events with",
    "`x` = 3, 1, NULL, 3, 7 and `s` = 'b', 'a', NULL, 'b', 'c'.",
    '',
  ];
  for (const kind of ['Scalar functions', 'Aggregate functions']) {
    lines.push(`## ${kind}`, '', '| function | does | NULLs | examples |', '|---|---|---|---|');
    for (const name of names.filter((n) => aggregate(n) === (kind === 'Aggregate functions'))) {
      const d = functionDocs[name];
      if (!d) continue;
      const ex = d.examples.map(([sql, v]) => `\`${sql}\` → \`${JSON.stringify(v)}\``).join('<br>');
      lines.push(`| \`${d.signature.replace(/\|/g, '\\|')}\` | ${d.does} | ${d.nulls} | ${ex.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
