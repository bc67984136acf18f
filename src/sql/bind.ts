// Binds a SelectStmt into a QueryPlan: window, group keys, aggregates, outputs, HAVING.
import type { Expr, SelectStmt } from './ast.js';
import type { BindScope } from './bind-expr.js';
import { ExprBinder, windowFunctions } from './bind-expr.js';
import { SqlError, SqlErrorCode } from './errors.js';
import type { FunctionRegistry } from '../functions/index.js';
import type { QueryPlan, WindowSpec } from './plan.js';
import { maxWindowsPerEvent } from './plan.js';
import { printExpr } from './print.js';

type Call = Extract<Expr, { kind: 'call' }>;

const isWindowCall = (e: Expr): e is Call => e.kind === 'call' && (windowFunctions as readonly string[]).includes(e.name);
const windowColumn = (e: Expr): boolean => e.kind === 'column' && e.path.length === 1 && !e.path[0]?.quoted && /^window_(start|end)$/i.test(e.path[0]?.name ?? '');

/** Turns window arguments (time column, then intervals) into a WindowSpec. */
function windowSpec(fn: string, timeColumn: Expr | undefined, args: Expr[], pos: Expr['pos']): WindowSpec {
  const arity: Record<string, number> = { TUMBLE: 1, HOP: 2, SESSION: 1, CUMULATE: 2 };
  const want = arity[fn] ?? 1;
  if (timeColumn?.kind !== 'column') throw new SqlError(SqlErrorCode.window, `${fn} needs the time column first`, pos, fn);
  if (args.length !== want) throw new SqlError(SqlErrorCode.arity, `${fn} takes a time column and ${want} interval${want > 1 ? 's' : ''}, got ${args.length}`, pos, fn);
  const ms = args.map((a) => {
    if (a.kind === 'interval') return a.ms;
    throw new SqlError(SqlErrorCode.window, `${fn} needs INTERVAL arguments, e.g. INTERVAL '1' MINUTE`, a.pos, fn);
  });
  const [a = 0, b = 0] = ms;
  switch (fn) {
    case 'TUMBLE': return { kind: 'tumble', size: a };
    case 'SESSION': return { kind: 'session', gap: a };
    case 'HOP':
      // Flink's rule: a size that is not a whole number of slides gives windows of uneven membership.
      if (b % a !== 0) throw new SqlError(SqlErrorCode.window, 'HOP size must be an integral multiple of its slide', pos, fn);
      checkFanOut(fn, b / a, 'size / slide', pos);
      return { kind: 'hop', slide: a, size: b };
    default:
      if (b % a !== 0) throw new SqlError(SqlErrorCode.window, 'CUMULATE max size must be a multiple of its step', pos, fn);
      checkFanOut(fn, b / a, 'max / step', pos);
      return { kind: 'cumulate', step: a, max: b };
  }
}

// Each event is added to every one of its windows: the count is the work (and state) one event costs.
function checkFanOut(fn: string, windows: number, ratio: string, pos: Expr['pos']): void {
  if (windows > maxWindowsPerEvent) {
    throw new SqlError(SqlErrorCode.window, `${fn} puts each event in ${ratio} = ${windows} windows, over the limit of ${maxWindowsPerEvent} windows per event`, pos, fn);
  }
}

/** Binds a parsed statement; throws SqlError on anything outside the supported surface. */
export function bindStatement(stmt: SelectStmt, registry: FunctionRegistry, decimals: BindScope['decimals'] = {}): QueryPlan {
  const scope: BindScope = {
    registry,
    decimals,
    sourceNames: [stmt.from.name.toLowerCase(), ...(stmt.from.alias ? [stmt.from.alias.toLowerCase()] : [])],
    sourceExact: [stmt.from.name, ...(stmt.from.alias ? [stmt.from.alias] : [])],
    keys: new Map(),
    window: undefined,
    aggregates: [],
    aliases: new Map(stmt.items.flatMap((i) => (i.alias === undefined ? [] : [[i.alias.toLowerCase(), i.expr] as [string, Expr]]))),
  };
  const tw = stmt.tableWindow;
  if (tw) scope.window = { spec: windowSpec(tw.fn, tw.timeColumn, tw.args, tw.pos), fn: tw.fn, argTexts: [tw.timeColumn, ...tw.args].map((a) => printExpr(a, true)), column: tw.timeColumn };

  const keyExprs: Expr[] = [];
  let groupsByWindowColumn = false;
  for (const g of stmt.groupBy) {
    if (isWindowCall(g)) {
      if (scope.window) throw new SqlError(SqlErrorCode.window, 'only one window is allowed per query', g.pos, g.name);
      const [timeColumn, ...rest] = g.args;
      scope.window = { spec: windowSpec(g.name, timeColumn, rest, g.pos), fn: g.name, argTexts: g.args.map((a) => printExpr(a, true)), ...(timeColumn ? { column: timeColumn } : {}) };
    } else if (tw && windowColumn(g)) {
      groupsByWindowColumn = true;
    } else keyExprs.push(resolveGroupItem(g, stmt));
  }
  if (tw && !groupsByWindowColumn) throw new SqlError(SqlErrorCode.window, `TABLE(${tw.fn}(…)) needs GROUP BY window_start, window_end`, tw.pos, tw.fn);

  const binder = new ExprBinder(scope);
  const keys = keyExprs.map((e, index) => {
    const expr = binder.row(e, 'GROUP BY');
    const text = printExpr(e, true);
    if (!scope.keys.has(text)) scope.keys.set(text, { index, type: expr.type });
    return { expr, text: printExpr(e) };
  });

  if (keyExprs.length === 0 && !scope.window && !stmt.items.some((i) => containsAggregate(i.expr, registry))) {
    throw new SqlError(SqlErrorCode.unsupported, 'a continuous query must aggregate: add GROUP BY or an aggregate function', stmt.items[0]?.pos, 'projection');
  }
  const names = new Set<string>();
  const outputs = stmt.items.map((item) => {
    const expr = binder.group(item.expr, 'SELECT');
    const name = item.alias ?? (item.expr.kind === 'column' ? (item.expr.path[item.expr.path.length - 1]?.name ?? '') : printExpr(item.expr));
    // Rows are plain objects: a column named __proto__ would set their prototype instead of a field.
    if (name === '__proto__') throw new SqlError(SqlErrorCode.unsupported, 'an output column cannot be named __proto__', item.pos, name);
    if (names.has(name)) throw new SqlError(SqlErrorCode.duplicateColumn, `output column "${name}" appears twice; give one an alias`, item.pos, name);
    names.add(name);
    return { name, expr, type: expr.type };
  });
  const having = stmt.having ? binder.predicate(binder.group(stmt.having, 'HAVING'), stmt.having.pos, 'HAVING') : undefined;
  const where = stmt.where ? binder.predicate(binder.row(stmt.where, 'WHERE'), stmt.where.pos, 'WHERE') : undefined;

  const plan: QueryPlan = { source: stmt.from.name, where, keys, window: scope.window?.spec, aggregates: scope.aggregates, outputs, having };
  const col = scope.window?.column;
  if (col?.kind === 'column') {
    const field = binder.row(col, 'GROUP BY');
    if (field.k === 'field') plan.windowColumn = { path: field.path, line: col.pos.line, column: col.pos.column };
  }
  return plan;
}

// GROUP BY may name a SELECT alias or an ordinal, as in PostgreSQL and DuckDB.
function resolveGroupItem(g: Expr, stmt: SelectStmt): Expr {
  if (g.kind === 'literal' && g.litType === 'integer') {
    const item = stmt.items[Number(g.value) - 1];
    if (!item) throw new SqlError(SqlErrorCode.notGrouped, `GROUP BY ${String(g.value)} is not a SELECT position`, g.pos, 'GROUP BY');
    return item.expr;
  }
  const single = g.kind === 'column' && g.path.length === 1 ? g.path[0] : undefined;
  if (single) {
    const item = stmt.items.find((i) => i.alias !== undefined && (single.quoted ? i.alias === single.name : i.alias.toLowerCase() === single.name.toLowerCase()));
    // Like PostgreSQL, an input column wins over an alias: when SELECT reads a field of this name, it is that field.
    const canon = printExpr(g, true);
    if (item && !stmt.items.some((i) => mentions(i.expr, canon))) return item.expr;
  }
  return g;
}

function containsAggregate(e: Expr, registry: FunctionRegistry): boolean {
  const kids: Expr[] = [];
  switch (e.kind) {
    case 'call':
      if (registry.aggregate(e.name)) return true;
      kids.push(...e.args);
      break;
    case 'binary': kids.push(e.left, e.right); break;
    case 'unary': case 'cast': case 'extract': kids.push(e.operand); break;
    case 'case': kids.push(...(e.subject ? [e.subject] : []), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.otherwise ? [e.otherwise] : [])); break;
    default: break;
  }
  return kids.some((k) => containsAggregate(k, registry));
}

function mentions(e: Expr, canonicalColumn: string): boolean {
  if (e.kind === 'column') return printExpr(e, true) === canonicalColumn;
  const kids: Expr[] = [];
  switch (e.kind) {
    case 'call': kids.push(...e.args, ...(e.filter ? [e.filter] : [])); break;
    case 'binary': kids.push(e.left, e.right); break;
    case 'unary': case 'cast': case 'extract': kids.push(e.operand); break;
    case 'json': kids.push(e.operand, e.key); break;
    case 'in': kids.push(e.operand, ...e.list); break;
    case 'between': kids.push(e.operand, e.low, e.high); break;
    case 'like': kids.push(e.operand, e.pattern); break;
    case 'is': kids.push(e.operand); break;
    case 'case': kids.push(...(e.subject ? [e.subject] : []), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.otherwise ? [e.otherwise] : [])); break;
    default: break;
  }
  return kids.some((k) => mentions(k, canonicalColumn));
}
