// User function plugins: registered on the same interfaces, refused clearly when malformed, and isolated when they throw.
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { FunctionError } from '../../src/sql/errors.js';
import { defaultRegistry } from '../../src/functions/index.js';
import { loadPlugins, registerPlugins } from '../../src/functions/index.js';
import { createEngine } from '../../src/engine/index.js';

const product = {
  kind: 'aggregate', name: 'product', minArgs: 1, maxArgs: 1,
  returnType: () => 'double',
  init: () => 1,
  add: (s: number, v: unknown) => s * Number(v),
  merge: (a: number, b: number) => a * b,
  result: (s: number) => s,
  serialize: (s: number) => s,
  deserialize: (j: unknown) => Number(j),
};
const double = { kind: 'scalar', name: 'twice', minArgs: 1, maxArgs: 1, returnType: () => 'double', call: (a: unknown[]) => Number(a[0]) * 2 };

void t.test('a plugin aggregate and scalar can be used in a query', (t) => {
  const registry = registerPlugins(defaultRegistry(), [{ source: 'math.js', exports: { default: [product, double] } }]);
  const engine = createEngine(compileQuery('SELECT PRODUCT(TWICE(x)) AS p FROM s', { functions: registry }).plan, { emit: 'changes', latenessMs: 0 });
  engine.apply([{ id: '1', ts: 0, data: { x: 1 } }, { id: '2', ts: 0, data: { x: 3 } }]);
  t.same(engine.rows()[0]?.row, { p: 12 });
  t.end();
});

void t.test('a malformed plugin module is a start-up FunctionError naming the module and problem', (t) => {
  const broken = { ...product, merge: undefined };
  t.throws(() => registerPlugins(defaultRegistry(), [{ source: 'broken.js', exports: { default: broken } }]), { name: 'FunctionError', message: /missing method merge\(\) \(in broken\.js\)/ });
  t.throws(() => registerPlugins(defaultRegistry(), [{ source: 'x.js', exports: { default: { ...double, name: 'sum' } } }]), /already exists/);
  // The engine inlines built-ins by their kernel tag: a plugin claiming one would bypass its own add().
  t.throws(() => registerPlugins(defaultRegistry(), [{ source: 'k.js', exports: { default: { ...product, name: 'mysum', kernel: 'sum' } } }]), { name: 'FunctionError', message: /kernel is reserved for built-in aggregates \(in k\.js\)/ });
  t.end();
});

void t.test('a module that fails to import is reported with its file name', async (t) => {
  await t.rejects(loadPlugins(defaultRegistry(), ['/plugins/bad.js'], () => Promise.reject(new SyntaxError('Unexpected token'))), {
    name: 'FunctionError',
    message: /\/plugins\/bad\.js: cannot load function module: Unexpected token/,
  });
});

void t.test('a plugin that throws while running surfaces as FunctionError with its name', (t) => {
  const exploding = { ...product, name: 'boom', add: () => { throw new Error('kaput'); } };
  const registry = registerPlugins(defaultRegistry(), [{ source: 'boom.js', exports: exploding }]);
  const engine = createEngine(compileQuery('SELECT BOOM(x) FROM s', { functions: registry }).plan, { emit: 'changes', latenessMs: 0 });
  try {
    engine.apply([{ id: '1', ts: 0, data: { x: 1 } }]);
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof FunctionError);
    t.equal((err as FunctionError).functionName, 'BOOM');
    t.match((err as Error).message, /add threw: kaput/);
  }
  t.end();
});

void t.test('a plugin whose returnType answers an unknown type is refused when a query uses it', (t) => {
  const odd = { ...double, name: 'odd', returnType: () => 'complex' };
  const registry = registerPlugins(defaultRegistry(), [{ source: 'odd.js', exports: odd }]);
  t.throws(() => compileQuery('SELECT ODD(x), COUNT(*) FROM s GROUP BY ODD(x)', { functions: registry }), { name: 'FunctionError', message: /returnType gave "complex"/ });
  t.end();
});
