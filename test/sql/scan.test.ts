// The pre-parse scanner and what rests on it: standard string literals (a backslash is a character),
// and rewrites and nesting counts that never look inside literals, identifiers or comments.
import t from 'tap';
import { scanSql } from '../../src/sql/scan.js';
import { compileQuery } from '../../src/sql/compile.js';
import { SqlError } from '../../src/sql/errors.js';

const whereValue = (sql: string): unknown => {
  const w = compileQuery(sql).plan.where;
  return w?.k === 'cmp' && w.right.k === 'const' ? w.right.value : w?.k === 'like' && w.pattern.k === 'const' ? w.pattern.value : undefined;
};

void t.test('scanSql splits code, literals with doubled quotes, identifiers and both comment forms', (t) => {
  const sql = `SELECT 'it''s', "a""b" -- c'\n/* d" */ x`;
  t.same(scanSql(sql).map((s) => [s.kind, sql.slice(s.start, s.end)]), [
    ['code', 'SELECT '], ['string', "'it''s'"], ['code', ', '], ['ident', '"a""b"'], ['code', ' '],
    ['comment', "-- c'"], ['code', '\n'], ['comment', '/* d" */'], ['code', ' x'],
  ]);
  t.end();
});

void t.test('string literals have no backslash escapes: only a doubled quote is one', (t) => {
  t.equal(whereValue("SELECT COUNT(*) AS n FROM s WHERE x = 'a\\nb'"), 'a\\nb', "'a\\nb' is four characters");
  t.equal(whereValue("SELECT COUNT(*) AS n FROM s WHERE x = 'C:\\temp'"), 'C:\\temp', "'C:\\temp' is seven");
  t.equal(whereValue("SELECT COUNT(*) AS n FROM s WHERE x = 'ab\\'"), 'ab\\', "'ab\\' ends at its quote (was read as a column)");
  t.equal(whereValue("SELECT COUNT(*) AS n FROM s WHERE x = 'it''s'"), "it's");
  t.equal(whereValue("SELECT COUNT(*) AS n FROM s WHERE x LIKE '50\\%'"), '50\\%', 'a LIKE pattern keeps its escape for LIKE');
  t.end();
});

void t.test('rewrites and the nesting limit skip literals and comments', (t) => {
  const out = compileQuery("SELECT k, SUM(x) AS n, 'sum(distinct x)' AS t FROM s GROUP BY k").plan.outputs[2]!.expr;
  t.same(out, { k: 'const', value: 'sum(distinct x)', type: 'varchar' }, 'F(DISTINCT …) inside a literal is left alone');
  t.doesNotThrow(() => compileQuery(`SELECT k, COUNT(*) AS n FROM s -- ${'('.repeat(100)}\nGROUP BY k`), 'parentheses in a comment do not count');
  t.doesNotThrow(() => compileQuery(`SELECT k, COUNT(*) AS n FROM s WHERE x <> '${'('.repeat(100)}' GROUP BY k`), 'nor in a literal');
  t.throws(() => compileQuery(`SELECT k, COUNT(*) AS n FROM s WHERE x = ${'('.repeat(40)}1${')'.repeat(40)} GROUP BY k`), SqlError, 'code nesting still counts');
  t.throws(() => compileQuery("SELECT COUNT(*) AS n FROM s WHERE x = '\uFDD0'"), SqlError, 'the stand-in noncharacter is refused');
  t.end();
});

void t.test("INTERVAL 'n' MILLISECOND is read, also with several spaces, and never inside a literal", (t) => {
  const size = (sql: string) => {
    const w = compileQuery(sql).plan.window;
    return w?.kind === 'tumble' ? w.size : undefined;
  };
  t.equal(size("SELECT COUNT(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '7000' MILLISECOND)"), 7000);
  t.equal(size("SELECT COUNT(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '250'   milliseconds)"), 250);
  const texts = compileQuery("SELECT COUNT(*) AS n, 'INTERVAL ''5'' MILLISECOND' AS t FROM s GROUP BY TUMBLE(ts, INTERVAL '5' SECOND)").plan.outputs.map((o) => (o.expr.k === 'const' ? o.expr.value : o.name));
  t.same(texts, ['n', "INTERVAL '5' MILLISECOND"], 'a literal that looks like an interval stays as written');
  t.end();
});

void t.test('TRY_CAST and SUBSTRING(… FROM … FOR …) are read, never inside a literal', (t) => {
  const outputs = (sql: string) => compileQuery(sql).explain;
  t.match(outputs('SELECT k, COUNT(*) AS n, MAX(TRY_CAST(s AS INTEGER)) AS m FROM s GROUP BY k'), /MAX\(CAST\(\$s AS INTEGER\)\)/);
  t.match(outputs('SELECT SUBSTRING(s FROM 2 FOR 3) AS x, COUNT(*) AS n FROM s GROUP BY SUBSTRING(s FROM 2 FOR 3)'), /SUBSTRING\(\$s, 2, 3\)/);
  t.match(outputs('SELECT SUBSTRING(LOWER(s) FROM (1 + 1)) AS x, COUNT(*) AS n FROM s GROUP BY 1'), /SUBSTRING\(LOWER\(\$s\), \(1 \+ 1\)\)/);
  const lit = compileQuery("SELECT k, 'SUBSTRING(a FROM 1)' AS t, 'TRY_CAST(' AS u, COUNT(*) AS n FROM s GROUP BY k").plan.outputs.map((o) => (o.expr.k === 'const' ? o.expr.value : o.name));
  t.same(lit, ['k', 'SUBSTRING(a FROM 1)', 'TRY_CAST(', 'n'], 'literals keep their text');
  t.end();
});

void t.test("INTERVAL field ranges ('1:30' MINUTE TO SECOND and the others) are read; out-of-range parts are refused", (t) => {
  const size = (sql: string) => {
    const w = compileQuery(sql).plan.window;
    return w?.kind === 'tumble' ? w.size : undefined;
  };
  const tumble = (interval: string) => `SELECT COUNT(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL ${interval})`;
  t.equal(size(tumble("'1:30' MINUTE TO SECOND")), 90_000);
  t.equal(size(tumble("'0:00.250' MINUTE TO SECOND")), 250, 'fractional seconds');
  t.equal(size(tumble("'2:15' HOUR TO MINUTE")), 8_100_000);
  t.equal(size(tumble("'1:00:01' HOUR TO SECOND")), 3_601_000);
  t.equal(size(tumble("'1 02' DAY TO HOUR")), 93_600_000);
  t.equal(size(tumble("'1 00:30' DAY TO MINUTE")), 88_200_000);
  t.equal(size(tumble("'0 00:00:01.5' DAY TO SECOND")), 1_500);
  t.equal(size(tumble("'1:30'\n  minute\n  TO second")), 90_000, 'across lines, any case');
  for (const bad of ["'1:60' MINUTE TO SECOND", "'1:30:00' MINUTE TO SECOND", "'25' HOUR TO MINUTE", "'1 24' DAY TO HOUR"]) {
    t.throws(() => compileQuery(tumble(bad)), { name: 'SqlError', message: /unsupported INTERVAL/ }, bad);
  }
  // A later error still points at the right place: the rewrite keeps every position.
  t.throws(() => compileQuery("SELECT COUNT(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '1:30'\n MINUTE TO SECOND), nope(1 2)"), { message: /unexpected "2"/, line: 2, column: 28 });
  t.end();
});

void t.test('IS [NOT] DISTINCT FROM and EXTRACT(MILLISECOND) are read; the stand-ins the parser sees are refused when written', (t) => {
  const explain = (sql: string) => compileQuery(sql).explain;
  t.match(explain('SELECT k, COUNT(*) AS n FROM s WHERE a IS DISTINCT FROM b + 1 GROUP BY k'), /\(\$a IS DISTINCT FROM \(\$b \+ 1\)\)/);
  t.match(explain('SELECT k, COUNT(*) AS n FROM s WHERE a IS\n  NOT distinct FROM b AND c GROUP BY k'), /\(\(\$a IS NOT DISTINCT FROM \$b\) AND \$c\)/, 'comparison precedence, across lines');
  t.match(explain('SELECT k, MAX(EXTRACT(MILLISECOND FROM ts)) AS m FROM s GROUP BY k'), /MILLISECOND/);
  t.throws(() => compileQuery('SELECT k, COUNT(*) AS n FROM s WHERE a ~ b GROUP BY k'), { message: /operator ~ is not supported/, line: 1, column: 40 });
  t.throws(() => compileQuery('SELECT k, MAX(EXTRACT(MILLENNIUM FROM ts)) AS m FROM s GROUP BY k'), { message: /MILLENNIUM\) is not supported/ });
  const lit = compileQuery("SELECT k, 'a IS DISTINCT FROM b ~' AS t, COUNT(*) AS n FROM s GROUP BY k").plan.outputs[1]!.expr;
  t.same(lit, { k: 'const', value: 'a IS DISTINCT FROM b ~', type: 'varchar' }, 'literals keep their text');
  t.end();
});
