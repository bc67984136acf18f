// Binds expressions: names → fields, functions → implementations, static types checked; aggregates collected.
import { Decimal } from '../functions/index.js';
import type { Expr, Pos } from './ast.js';
import { SqlError, SqlErrorCode } from './errors.js';
import type { FunctionRegistry } from '../functions/index.js';
import { extractFields, truncUnitNames } from '../functions/index.js';
import type { AggregateCall, PlanExpr, WindowSpec } from './plan.js';
import { printExpr } from './print.js';
import type { SqlType } from '../functions/index.js';
import { comparable, isNumeric, numericResult, surelyNotNumeric } from '../functions/index.js';

export const windowFunctions = ['TUMBLE', 'HOP', 'SESSION', 'CUMULATE'] as const;
const windowBoundFns = /^(TUMBLE|HOP|SESSION|CUMULATE)_(START|END)$/;

/** What the binder knows about the statement around an expression. */
export interface BindScope {
  registry: FunctionRegistry;
  /** Top-level fields declared DECIMAL(p, s) by the stream's schema. */
  decimals: Record<string, { precision: number; scale: number }>;
  /** Lower-cased names a qualified column may start with (stream name and alias). */
  sourceNames: string[];
  /** The stream's name and alias as written, for quoted qualifiers. */
  sourceExact: string[];
  /** Canonical GROUP BY key texts → key index, with their types. */
  keys: Map<string, { index: number; type: SqlType }>;
  window: { spec: WindowSpec; fn: string; argTexts: string[]; column?: Expr } | undefined;
  aggregates: AggregateCall[];
  /** SELECT aliases (lower-cased unless quoted) that HAVING may name, as DuckDB allows. */
  aliases: Map<string, Expr>;
}

type Mode = { group: false; where: 'WHERE' | 'GROUP BY' | 'an aggregate argument' | 'FILTER' } | { group: true; where: 'SELECT' | 'HAVING' };

const typeError = (msg: string, pos: Pos, construct: string): SqlError => new SqlError(SqlErrorCode.type, msg, pos, construct);

/** Binds one expression in row mode (before aggregation) or group mode (after). */
export class ExprBinder {
  constructor(private readonly scope: BindScope) {}

  row(e: Expr, where: 'WHERE' | 'GROUP BY' | 'an aggregate argument' | 'FILTER'): PlanExpr {
    return this.bind(e, { group: false, where });
  }

  group(e: Expr, where: 'SELECT' | 'HAVING'): PlanExpr {
    return this.bind(e, { group: true, where });
  }

  /** Requires a boolean (or unknown) type, as WHERE, HAVING, FILTER and AND/OR operands need. */
  predicate(p: PlanExpr, pos: Pos, where: string): PlanExpr {
    if (p.type !== 'boolean' && p.type !== 'any' && p.type !== 'null') throw typeError(`${where} needs a boolean condition, not ${p.type}`, pos, where);
    return p;
  }

  private bind(e: Expr, mode: Mode): PlanExpr {
    if (mode.group) {
      const key = this.scope.keys.get(printExpr(e, true));
      if (key !== undefined) return { k: 'key', index: key.index, type: key.type };
    }
    const b = (x: Expr): PlanExpr => this.bind(x, mode);
    switch (e.kind) {
      case 'literal':
        return { k: 'const', value: literalValue(e), type: e.litType === 'null' ? 'null' : e.litType };
      case 'interval':
        return { k: 'const', value: e.ms, type: 'integer' };
      case 'star':
        throw new SqlError(SqlErrorCode.notGrouped, '* can only be used in COUNT(*)', e.pos, '*');
      case 'column':
        return this.column(e, mode);
      case 'unary': {
        const arg = b(e.operand);
        if (e.op === 'NOT') return { k: 'not', arg: this.predicate(arg, e.pos, 'NOT'), type: 'boolean' };
        if (surelyNotNumeric(arg.type)) throw typeError(`unary ${e.op} needs a number, not ${arg.type}`, e.pos, e.op);
        return e.op === '-' ? { k: 'neg', arg, type: arg.type } : arg;
      }
      case 'binary':
        return this.binary(e, b);
      case 'in': {
        const arg = b(e.operand);
        const list = e.list.map(b);
        for (const item of list) if (!comparable(arg.type, item.type)) throw typeError(`IN compares ${arg.type} with ${item.type}`, e.pos, 'IN');
        return { k: 'in', arg, list, negated: e.negated, type: 'boolean' };
      }
      case 'between': {
        const arg = b(e.operand);
        const low = b(e.low);
        const high = b(e.high);
        const time = arg.type === 'timestamp' || low.type === 'timestamp' || high.type === 'timestamp';
        if (!comparable(arg.type, low.type) || !comparable(arg.type, high.type)) throw typeError(`BETWEEN compares ${arg.type} with ${low.type}`, e.pos, 'BETWEEN');
        const both: PlanExpr = { k: 'and', args: [{ k: 'cmp', op: '>=', left: arg, right: low, time, type: 'boolean' }, { k: 'cmp', op: '<=', left: arg, right: high, time, type: 'boolean' }], type: 'boolean' };
        return e.negated ? { k: 'not', arg: both, type: 'boolean' } : both;
      }
      case 'like': {
        const arg = b(e.operand);
        const pattern = b(e.pattern);
        for (const t of [arg.type, pattern.type]) if (t !== 'varchar' && t !== 'any' && t !== 'null') throw typeError(`LIKE needs text, not ${t}`, e.pos, 'LIKE');
        // As PostgreSQL: one character, or '' for none; without ESCAPE the backslash escapes.
        if (e.escape !== undefined && [...e.escape].length > 1) throw new SqlError(SqlErrorCode.type, `ESCAPE must be one character, not '${e.escape}'`, e.pos, 'ESCAPE');
        return { k: 'like', arg, pattern, ci: e.caseInsensitive, negated: e.negated, escape: e.escape ?? '\\', type: 'boolean' };
      }
      case 'is':
        return { k: 'is', arg: b(e.operand), target: e.target, negated: e.negated, type: 'boolean' };
      case 'case':
        return this.caseExpr(e, b);
      case 'cast':
        // DECIMAL alone is DECIMAL(18, 3) and DECIMAL(p) is DECIMAL(p, 0), as in DuckDB.
        if (e.target === 'decimal') {
          const precision = e.precision ?? 18;
          const scale = e.scale ?? (e.precision === undefined ? 3 : 0);
          if (precision < 1 || precision > 38 || scale < 0 || scale > precision) throw typeError(`DECIMAL(${precision}, ${scale}) needs 1 <= precision <= 38 and 0 <= scale <= precision`, e.pos, 'DECIMAL');
          return { k: 'cast', arg: b(e.operand), to: 'decimal', scale, precision, type: 'decimal' };
        }
        return { k: 'cast', arg: b(e.operand), to: e.target, scale: e.scale, ...(e.bits ? { bits: e.bits } : {}), type: e.target };
      case 'extract': {
        if (!extractFields.includes(e.field)) throw new SqlError(SqlErrorCode.unsupported, `EXTRACT(${e.field}) is not supported`, e.pos, 'EXTRACT');
        const fn = this.scope.registry.scalar('EXTRACT');
        if (!fn) throw new SqlError(SqlErrorCode.unknownFunction, 'EXTRACT is not available', e.pos, 'EXTRACT');
        return { k: 'call', fn, args: [{ k: 'const', value: e.field, type: 'varchar' }, b(e.operand)], type: 'integer' };
      }
      case 'json':
        return { k: 'json', arg: b(e.operand), key: b(e.key), asText: e.op === '->>', type: e.op === '->>' ? 'varchar' : 'any' };
      case 'call':
        return this.call(e, mode, b);
    }
  }

  private column(e: Extract<Expr, { kind: 'column' }>, mode: Mode): PlanExpr {
    const single = e.path.length === 1 ? e.path[0] : undefined;
    if (single && !single.quoted && /^window_(start|end)$/i.test(single.name)) {
      const which = single.name.toLowerCase() === 'window_start' ? 'start' : 'end';
      if (!this.scope.window) throw new SqlError(SqlErrorCode.window, `${single.name} needs a window in GROUP BY`, e.pos, single.name);
      if (!mode.group) throw new SqlError(SqlErrorCode.window, `${single.name} cannot be used in ${mode.where}`, e.pos, single.name);
      return { k: 'window', which, type: 'timestamp' };
    }
    if (mode.group && mode.where === 'HAVING' && single) {
      const aliased = this.scope.aliases.get(single.quoted ? single.name : single.name.toLowerCase());
      if (aliased !== undefined && !(aliased.kind === 'column' && printExpr(aliased, true) === printExpr(e, true))) return this.bind(aliased, mode);
    }
    if (mode.group) {
      throw new SqlError(SqlErrorCode.notGrouped, `column ${printExpr(e)} must appear in GROUP BY or be used in an aggregate`, e.pos, printExpr(e));
    }
    let path = e.path;
    const head = path[0];
    // The stream's name or alias as qualifier: unquoted it matches case-insensitively, quoted exactly.
    if (path.length > 1 && head && (head.quoted ? this.scope.sourceExact.includes(head.name) : this.scope.sourceNames.includes(head.name.toLowerCase()))) path = path.slice(1);
    const field: PlanExpr = { k: 'field', path: path.map((p) => ({ name: p.name, exact: p.quoted })), type: 'any' };
    const declared = path.length === 1 ? this.declaredDecimal(path[0]!) : undefined;
    return declared ? { k: 'cast', arg: field, to: 'decimal', scale: declared.scale, precision: declared.precision, type: 'decimal' } : field;
  }

  /** A field the schema declares DECIMAL: matched as field lookups match (quoted exactly, else ignoring case). */
  private declaredDecimal(step: { name: string; quoted: boolean }): { precision: number; scale: number } | undefined {
    const { decimals } = this.scope;
    if (Object.hasOwn(decimals, step.name)) return decimals[step.name];
    if (step.quoted) return undefined;
    const lower = step.name.toLowerCase();
    const name = Object.keys(decimals).find((n) => n.toLowerCase() === lower);
    return name === undefined ? undefined : decimals[name];
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, b: (x: Expr) => PlanExpr): PlanExpr {
    const left = b(e.left);
    const right = b(e.right);
    switch (e.op) {
      case 'AND': case 'OR':
        return { k: e.op === 'AND' ? 'and' : 'or', args: [this.predicate(left, e.pos, e.op), this.predicate(right, e.pos, e.op)], type: 'boolean' };
      case '||':
        return { k: 'concat', left, right, type: 'varchar' };
      case '=': case '<>': case '<': case '<=': case '>': case '>=':
        if (!comparable(left.type, right.type)) throw typeError(`cannot compare ${left.type} with ${right.type} using ${e.op}`, e.pos, e.op);
        return { k: 'cmp', op: e.op, left, right, time: left.type === 'timestamp' || right.type === 'timestamp', type: 'boolean' };
      case 'IS DISTINCT FROM': case 'IS NOT DISTINCT FROM':
        if (!comparable(left.type, right.type)) throw typeError(`cannot compare ${left.type} with ${right.type} using ${e.op}`, e.pos, e.op);
        return { k: 'distinct', left, right, negated: e.op === 'IS NOT DISTINCT FROM', time: left.type === 'timestamp' || right.type === 'timestamp', type: 'boolean' };
      default: {
        // An untyped field ± INTERVAL is a time shift: the field is read as a time (ISO text or epoch ms).
        if (left.type === 'any' && e.right.kind === 'interval' && (e.op === '+' || e.op === '-')) {
          return { k: 'arith', op: e.op, left: { k: 'cast', arg: left, to: 'timestamp', scale: undefined, type: 'timestamp' }, right, type: 'timestamp' };
        }
        // The difference of two times is milliseconds (DuckDB gives an INTERVAL, which rows cannot carry).
        if (left.type === 'timestamp' && right.type === 'timestamp' && e.op === '-') return { k: 'arith', op: '-', left, right, type: 'integer' };
        const timeShift = left.type === 'timestamp' && (e.op === '+' || e.op === '-') && isNumeric(right.type);
        if (!timeShift && (surelyNotNumeric(left.type) || surelyNotNumeric(right.type))) {
          throw typeError(`operator ${e.op} needs numbers, not ${surelyNotNumeric(left.type) ? left.type : right.type}`, e.pos, e.op);
        }
        const type = timeShift ? 'timestamp' : e.op === '/' ? (left.type === 'any' || right.type === 'any' ? 'any' : 'double') : numericResult(left.type, right.type);
        return { k: 'arith', op: e.op, left, right, type };
      }
    }
  }

  private caseExpr(e: Extract<Expr, { kind: 'case' }>, b: (x: Expr) => PlanExpr): PlanExpr {
    const subject = e.subject ? b(e.subject) : undefined;
    const whens = e.whens.map((w) => {
      const cond = b(w.when);
      const when: PlanExpr = subject ? { k: 'cmp', op: '=', left: subject, right: cond, time: subject.type === 'timestamp' || cond.type === 'timestamp', type: 'boolean' } : this.predicate(cond, w.when.pos, 'WHEN');
      return { when, then: b(w.then) };
    });
    const otherwise = e.otherwise ? b(e.otherwise) : undefined;
    const types = [...whens.map((w) => w.then.type), ...(otherwise ? [otherwise.type] : [])].filter((t) => t !== 'null');
    // As PostgreSQL and Flink: branches of known, different kinds have no common type.
    const family = (t: SqlType) => (isNumeric(t) ? 'number' : t === 'varchar' || t === 'boolean' ? t : undefined);
    const kinds = [...new Set(types.map(family).filter((f) => f !== undefined))];
    if (kinds.length > 1) {
      const shown = [...new Set(types.filter((t) => family(t) !== undefined))].join(' and ');
      throw new SqlError(SqlErrorCode.type, `CASE branches of types ${shown} have no common type; CAST them to one`, e.pos, 'CASE');
    }
    const first = types[0] ?? 'null';
    const type: SqlType = types.every((t) => t === first) ? first : types.every(isNumeric) ? 'double' : 'any';
    return { k: 'case', whens, otherwise, type };
  }

  private call(e: Extract<Expr, { kind: 'call' }>, mode: Mode, b: (x: Expr) => PlanExpr): PlanExpr {
    const bound = windowBoundFns.exec(e.name);
    if ((windowFunctions as readonly string[]).includes(e.name)) {
      throw new SqlError(SqlErrorCode.window, `${e.name}(…) is a window and belongs in GROUP BY`, e.pos, e.name);
    }
    if (bound) return this.windowBound(e, bound[1] ?? '', bound[2] === 'START' ? 'start' : 'end', mode);
    const f = this.scope.registry.get(e.name);
    if (!f) throw new SqlError(SqlErrorCode.unknownFunction, `unknown function ${e.name}`, e.pos, e.name);
    const argc = e.star ? 0 : e.args.length;
    if (argc < f.minArgs || argc > f.maxArgs || (e.star && f.name !== 'COUNT') || (f.name === 'COUNT' && !e.star && argc === 0)) {
      const range = f.minArgs === f.maxArgs ? `${f.minArgs}` : `${f.minArgs} to ${f.maxArgs}`;
      throw new SqlError(SqlErrorCode.arity, `${f.name} takes ${range} argument${f.maxArgs === 1 ? '' : 's'}, got ${e.star ? '*' : argc}`, e.pos, f.name);
    }
    if (f.kind === 'scalar') {
      if (e.distinct || e.filter) throw new SqlError(SqlErrorCode.unsupported, `${e.name} is not an aggregate; DISTINCT and FILTER need one`, e.pos, e.name);
      const args = e.args.map(b);
      this.checkConstantArgs(f.name, args, e.pos);
      const t = f.returnType(args.map((a) => a.type));
      if (typeof t === 'object') throw typeError(t.error, e.pos, f.name);
      return { k: 'call', fn: f, args, type: t };
    }
    if (!mode.group) {
      const code = mode.where === 'an aggregate argument' || mode.where === 'FILTER' ? SqlErrorCode.nestedAggregate : mode.where === 'GROUP BY' ? SqlErrorCode.aggregateInGroupBy : SqlErrorCode.aggregateInWhere;
      const what = code === SqlErrorCode.nestedAggregate ? 'aggregates cannot be nested' : `aggregate ${e.name} is not allowed in ${mode.where}`;
      throw new SqlError(code, `${what} (${e.name})`, e.pos, e.name);
    }
    if (e.distinct && !f.distinctAllowed) throw new SqlError(SqlErrorCode.unsupported, `${f.name} does not support DISTINCT`, e.pos, f.name);
    const text = printExpr(e, true);
    const existing = this.scope.aggregates.findIndex((a) => a.text === text);
    if (existing >= 0) return { k: 'agg', index: existing, type: this.scope.aggregates[existing]?.type ?? 'any' };
    const [valueArg, ...paramArgs] = e.args;
    const arg = valueArg ? this.row(valueArg, 'an aggregate argument') : undefined;
    const params = paramArgs.map((p) => this.constant(this.row(p, 'an aggregate argument'), f.name, p.pos));
    const problem = f.checkParams?.(params);
    if (problem !== undefined) throw typeError(`${f.name}: ${problem}`, e.pos, f.name);
    const t = f.returnType([arg?.type ?? 'any', ...paramArgs.map((): SqlType => 'any')]);
    if (typeof t === 'object') throw typeError(t.error, e.pos, f.name);
    const filter = e.filter ? this.predicate(this.row(e.filter, 'FILTER'), e.filter.pos, 'FILTER') : undefined;
    this.scope.aggregates.push({ fn: f, arg, params, distinct: e.distinct, filter, text, type: t });
    return { k: 'agg', index: this.scope.aggregates.length - 1, type: t };
  }

  private checkConstantArgs(name: string, args: PlanExpr[], pos: Pos): void {
    if (name === 'DATE_TRUNC' && args[0]?.k === 'const' && !truncUnitNames.includes(String(args[0].value).toLowerCase())) {
      throw new SqlError(SqlErrorCode.unsupported, `DATE_TRUNC unit '${String(args[0].value)}' is not supported`, pos, 'DATE_TRUNC');
    }
  }

  private constant(p: PlanExpr, fn: string, pos: Pos): unknown {
    // Parameters (a percentile, a count) are plain numbers to the functions that take them.
    if (p.k === 'const') return plainNumber(p.value);
    if (p.k === 'neg' && p.arg.k === 'const') {
      const v = plainNumber(p.arg.value);
      if (typeof v === 'number') return -v;
    }
    throw typeError(`${fn}: parameters after the first argument must be constants`, pos, fn);
  }

  private windowBound(e: Extract<Expr, { kind: 'call' }>, fn: string, which: 'start' | 'end', mode: Mode): PlanExpr {
    const w = this.scope.window;
    if (!w) throw new SqlError(SqlErrorCode.window, `${e.name} needs ${fn}(…) in GROUP BY`, e.pos, e.name);
    if (!mode.group) throw new SqlError(SqlErrorCode.window, `${e.name} cannot be used in ${mode.where}`, e.pos, e.name);
    const texts = e.args.map((a) => printExpr(a, true));
    if (w.fn !== fn || texts.length !== w.argTexts.length || texts.some((t, i) => t !== w.argTexts[i])) {
      throw new SqlError(SqlErrorCode.window, `${e.name}(…) does not match the ${w.fn}(…) window in GROUP BY`, e.pos, e.name);
    }
    return { k: 'window', which, type: 'timestamp' };
  }
}

/** A literal's run-time value: DECIMAL literals exact, integers past 2^53 as BigInt. */
function literalValue(e: Extract<Expr, { kind: 'literal' }>): unknown {
  if (e.litType === 'decimal') return Decimal.parse(String(e.value)) ?? null;
  if (e.litType === 'integer' && typeof e.value === 'string') return BigInt(e.value);
  return e.value;
}

const plainNumber = (v: unknown): unknown => (v instanceof Decimal ? v.toNumber() : typeof v === 'bigint' ? Number(v) : v);
