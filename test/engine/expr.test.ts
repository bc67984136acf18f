// Expression closures: three-valued logic, LIKE, CAST, JSON access and time handling.
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { compileRowExpr } from '../../src/engine/index.js';
import { likeMatch } from '../../src/engine/index.js';

// Compiles `expr` as a WHERE-position expression via a GROUP BY key and evaluates it on one event.
function evalOn(expr: string, data: Record<string, unknown> = {}): unknown {
  const plan = compileQuery(`SELECT (${expr}) AS v, COUNT(*) FROM s GROUP BY (${expr})`).plan;
  const key = plan.keys[0];
  if (!key) throw new Error('no key');
  return compileRowExpr(key.expr)(data);
}

void t.test('AND, OR and NOT follow three-valued logic', (t) => {
  t.equal(evalOn('x AND FALSE', { x: null }), false);
  t.equal(evalOn('x AND TRUE', { x: null }), null);
  t.equal(evalOn('x OR TRUE', { x: null }), true);
  t.equal(evalOn('x OR FALSE', { x: null }), null);
  t.equal(evalOn('NOT x', { x: null }), null);
  t.end();
});

void t.test('comparisons and IN with NULL are unknown, not false', (t) => {
  t.equal(evalOn('x = 1', { x: null }), null);
  t.equal(evalOn('x IN (1, 2)', { x: null }), null);
  t.equal(evalOn('x IN (1, NULL)', { x: 2 }), null);
  t.equal(evalOn('x IN (1, NULL)', { x: 1 }), true);
  t.equal(evalOn('x NOT IN (1, NULL)', { x: 2 }), null);
  t.equal(evalOn('x BETWEEN 1 AND 3', { x: 2 }), true);
  t.end();
});

void t.test('IS [NOT] NULL/TRUE/FALSE never return NULL', (t) => {
  t.equal(evalOn('x IS NULL', {}), true);
  t.equal(evalOn('x IS NOT TRUE', { x: null }), true);
  t.equal(evalOn('x IS FALSE', { x: false }), true);
  t.end();
});

void t.test('LIKE handles %, _ and escapes, ILIKE ignores case', (t) => {
  t.ok(likeMatch('abc', 'a%', false));
  t.ok(likeMatch('abc', '_b_', false));
  t.notOk(likeMatch('abc', 'a_', false));
  t.ok(likeMatch('50%', '50\\%', false));
  t.notOk(likeMatch('505', '50\\%', false));
  t.ok(likeMatch('ABC', 'a%c', true));
  t.ok(likeMatch('', '%', false));
  t.end();
});

void t.test('a pathological LIKE pattern finishes quickly', (t) => {
  const start = Date.now();
  t.notOk(likeMatch('a'.repeat(5000), '%a%a%a%a%a%a%a%a%b', false));
  t.ok(Date.now() - start < 1000);
  t.end();
});

void t.test('CAST converts, and yields NULL for values it cannot convert', (t) => {
  t.equal(evalOn('CAST(x AS INTEGER)', { x: '42' }), 42);
  t.equal(evalOn('CAST(x AS INTEGER)', { x: 'forty' }), null);
  t.equal(evalOn('CAST(x AS DOUBLE)', { x: '1.5' }), 1.5);
  t.equal(String(evalOn('CAST(x AS DECIMAL(10, 2))', { x: 1.125 })), '1.13', 'an exact DECIMAL(10, 2)');
  t.equal(String(evalOn('CAST(x AS DECIMAL(10, 2))', { x: '2.675' })), '2.68', 'from text, ties away from zero');
  t.equal(evalOn('CAST(x AS DECIMAL(4, 2))', { x: 123.4 }), null, 'too many digits: NULL');
  t.equal(evalOn('CAST(x AS VARCHAR)', { x: 7 }), '7');
  t.equal(evalOn('CAST(x AS BOOLEAN)', { x: 'true' }), true);
  t.equal(evalOn('CAST(x AS TIMESTAMP)', { x: '2026-01-01T00:00:00Z' }), Date.UTC(2026, 0, 1));
  t.end();
});

void t.test('-> and ->> read object keys and array positions', (t) => {
  t.same(evalOn("p -> 'a'", { p: { a: { b: 1 } } }), { b: 1 });
  t.equal(evalOn("p ->> 'a'", { p: { a: { b: 1 } } }), '{"b":1}');
  t.equal(evalOn('p ->> 1', { p: ['x', 'y'] }), 'y');
  t.equal(evalOn("p ->> 'a'", { p: '{"a": 5}' }), '5');
  t.equal(evalOn("p ->> 'missing'", { p: {} }), null);
  t.end();
});

void t.test('timestamp comparisons accept ISO text and epoch milliseconds', (t) => {
  t.equal(evalOn("t >= TIMESTAMP '2026-01-01 00:00:00'", { t: '2026-01-02T00:00:00Z' }), true);
  t.equal(evalOn("t < TIMESTAMP '2026-01-01 00:00:00'", { t: Date.UTC(2025, 0, 1) }), true);
  t.end();
});

void t.test('arithmetic on NULL or non-numbers is NULL, and division by zero is NULL', (t) => {
  t.equal(evalOn('x + 1', { x: null }), null);
  t.equal(evalOn('x + 1', { x: 'a' }), null);
  t.equal(evalOn('x / 0', { x: 1 }), null);
  t.equal(evalOn('x % 0', { x: 1 }), null);
  t.equal(evalOn('x / 4', { x: 2 }), 0.5);
  t.end();
});

void t.test('a nested field through a non-object is NULL', (t) => {
  t.equal(evalOn('a.b.c', { a: 5 }), null);
  t.equal(evalOn('a.B', { a: { b: 2 } }), 2);
  t.end();
});

void t.test('integer arithmetic on event fields is exact past 2^53 (a BigInt), as DuckDB BIGINT', (t) => {
  t.equal(evalOn('a * a', { a: 3037000499 }), 9223372030926249001n, '3037000499² (DuckDB: 9223372030926249001)');
  t.equal(evalOn('a + b', { a: Number.MAX_SAFE_INTEGER, b: 2 }), 9007199254740993n);
  t.equal(evalOn('(a * a) % 10', { a: 3037000499 }), 1n);
  t.equal(evalOn('a * 1.5e0', { a: 4 }), 6, 'a DOUBLE operand keeps doubles');
  t.equal(String(evalOn('a * 1.5', { a: 4 })), '6.0', 'a DECIMAL one is exact (DuckDB: 6.0)');
  t.equal(evalOn('CAST(a AS DOUBLE) * a', { a: 3037000499 }), 3037000499 * 3037000499, 'a DOUBLE-typed side keeps doubles');
  t.end();
});
