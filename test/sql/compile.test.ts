// compileQuery: output columns, refusals with positions, and limits that keep hostile SQL harmless.
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { SqlError } from '../../src/sql/errors.js';

const refusal = (sql: string, opts?: Parameters<typeof compileQuery>[1]): SqlError => {
  try {
    compileQuery(sql, opts);
  } catch (err) {
    if (err instanceof SqlError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

void t.test('columns are named by alias, else by the expression text', (t) => {
  const c = compileQuery("SELECT region, COUNT(*), SUM(a * b) AS revenue, window_start FROM orders GROUP BY region, TUMBLE(ts, INTERVAL '1' MINUTE)");
  t.same(c.columns, [
    { name: 'region', type: 'any' },
    { name: 'COUNT(*)', type: 'integer' },
    { name: 'revenue', type: 'any' },
    { name: 'window_start', type: 'timestamp' },
  ]);
  t.equal(c.source, 'orders');
  t.ok(c.plan.window !== undefined);
  t.end();
});

void t.test('an unwindowed query is reported as not windowed', (t) => {
  t.equal(compileQuery('SELECT COUNT(*) FROM s').plan.window, undefined);
  t.end();
});

void t.test('a refusal points at the line and column of the construct', (t) => {
  const e = refusal('SELECT region,\n       COUNT(*)\nFROM orders\nJOIN users ON orders.uid = users.id');
  t.equal(e.code, 'SG_ERR_SQL_JOIN');
  t.equal(e.line, 4);
  t.equal(e.column, 1);
  t.equal(e.construct, 'JOIN');
  t.end();
});

void t.test('an ungrouped column is located where it is written', (t) => {
  const e = refusal('SELECT region,\n  product, COUNT(*) FROM s GROUP BY region');
  t.equal(e.code, 'SG_ERR_SQL_NOT_GROUPED');
  t.same([e.line, e.column], [2, 3]);
  t.end();
});

void t.test('SQL over the length limit is refused before parsing', (t) => {
  const e = refusal(`SELECT COUNT(*) FROM s WHERE ${'a = 1 OR '.repeat(3000)}a = 1`);
  t.equal(e.code, 'SG_ERR_SQL_TOO_LONG');
  t.equal(refusal('SELECT COUNT(*) FROM s', { maxLength: 10 }).code, 'SG_ERR_SQL_TOO_LONG');
  t.end();
});

void t.test('deep parenthesis nesting is refused without a stack overflow', (t) => {
  const e = refusal(`SELECT COUNT(*) FROM s WHERE ${'('.repeat(5000)}a = 1${')'.repeat(5000)}`, { maxLength: 100_000 });
  t.equal(e.code, 'SG_ERR_SQL_TOO_DEEP');
  t.end();
});

void t.test('a long flat chain of conditions is refused as too deep, not crashed on', (t) => {
  const e = refusal(`SELECT COUNT(*) FROM s WHERE ${'a = 1 AND '.repeat(1500)}a = 1`, { maxLength: 100_000 });
  t.equal(e.code, 'SG_ERR_SQL_TOO_DEEP');
  t.end();
});

void t.test('unknown functions, arity and types have distinct stable codes', (t) => {
  t.equal(refusal('SELECT NOPE(a) FROM s GROUP BY a').code, 'SG_ERR_SQL_UNKNOWN_FUNCTION');
  t.equal(refusal('SELECT ROUND(a, 1, 2) FROM s GROUP BY a').code, 'SG_ERR_SQL_ARITY');
  t.equal(refusal("SELECT AVG(TRUE) FROM s").code, 'SG_ERR_SQL_TYPE');
  t.end();
});

void t.test('the table-valued window form compiles to the same plan as GROUP BY TUMBLE', (t) => {
  const tvf = compileQuery("SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end");
  const plain = compileQuery("SELECT window_start, COUNT(*) AS n FROM s GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)");
  t.equal(tvf.explain, plain.explain);
  t.end();
});

void t.test('GROUP BY on a SELECT alias uses the aliased expression unless a field has that name', (t) => {
  t.match(compileQuery('SELECT LOWER(region) AS r, COUNT(*) FROM s GROUP BY r').explain, 'key#0: LOWER($region)');
  t.match(compileQuery('SELECT a AS b, b AS a, COUNT(*) FROM s GROUP BY a, b').explain, 'key#0: $a');
  t.end();
});

void t.test('the stream name or alias as a qualifier is stripped, quoted or not (not read as a nested field)', (t) => {
  const arg = (sql: string) => compileQuery(sql).plan.aggregates[0]!.arg;
  const plain = { k: 'field', path: [{ name: 'amount', exact: false }], type: 'any' };
  t.same(arg('SELECT k, SUM("orders".amount) AS t FROM orders GROUP BY k'), plain);
  t.same(arg('SELECT k, SUM(o.amount) AS t FROM orders AS "o" GROUP BY k'), plain);
  t.same(arg('SELECT k, SUM("o".amount) AS t FROM orders AS "o" GROUP BY k'), plain);
  t.same(arg('SELECT k, SUM(ORDERS.amount) AS t FROM orders GROUP BY k'), plain, 'unquoted: case-insensitive');
  t.same(arg('SELECT k, SUM("ORDERS".amount) AS t FROM orders GROUP BY k'), { k: 'field', path: [{ name: 'ORDERS', exact: true }, { name: 'amount', exact: false }], type: 'any' }, 'quoted: exact, so another case is a field path');
  t.end();
});
