// PlanExpr → closures. No code is generated from user text: each node becomes a small pre-built function.
import type { ArithOp, FieldStep, PlanExpr } from '../sql/plan.js';
import { FunctionError } from '../functions/index.js';
import { compareNumeric, compareText, toEpochMs, valueText } from '../functions/index.js';
import { Decimal, exactDecimal } from '../functions/index.js';
import { castValue } from './cast.js';
import { likeMatch } from './like.js';
import { checkTextLength, ValueLimitError } from '../functions/index.js';

export type Fn<C> = (c: C) => unknown;
export type EventData = Record<string, unknown>;

/** What post-aggregation expressions see: group keys, aggregate results and the window bounds. */
export interface GroupView {
  keys: unknown[];
  results: unknown[];
  start: number;
  end: number;
}

type Leaf<C> = (e: PlanExpr) => Fn<C> | undefined;


/** The field name when `e` reads one top-level field that a plain property read can serve. */
export function simpleFieldName(e: PlanExpr | undefined): string | undefined {
  if (e?.k !== 'field' || e.path.length !== 1) return undefined;
  const name = e.path[0]?.name;
  return name !== undefined && !(name in Object.prototype) ? name : undefined;
}

/** The slow path of a field read after `data[name]` missed: case-insensitive match for unquoted names. */
export function fieldMiss(data: EventData, name: string, exact: boolean): unknown {
  return lookup(data, { name, exact });
}

// Unquoted names match case-insensitively: try as written, then lower case, then scan.
function lookup(obj: unknown, step: FieldStep): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return null;
  const o = obj as Record<string, unknown>;
  if (Object.hasOwn(o, step.name)) return o[step.name] ?? null;
  if (step.exact) return null;
  const lower = step.name.toLowerCase();
  if (Object.hasOwn(o, lower)) return o[lower] ?? null;
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k] ?? null;
  return null;
}

function fieldFn(path: FieldStep[]): Fn<EventData> {
  const [first, ...rest] = path;
  if (first === undefined) return () => null;
  const name = first.name;
  const unsafe = name in Object.prototype;
  // Fast path for the common one-level field: a plain property read, with the slow path only on a miss.
  const head: Fn<EventData> = unsafe ? (d) => lookup(d, first) : (d) => {
    const v = d[name];
    return v !== undefined ? v : lookup(d, first);
  };
  if (rest.length === 0) return head;
  return (d) => {
    let v = head(d);
    for (const s of rest) v = lookup(v, s);
    return v;
  };
}

// SQL three-valued logic over untyped fields: a value that is not a boolean is unknown (NULL), as
// for every other operator on a value of the wrong kind.
const truth = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);

function compare(a: unknown, b: unknown, time: boolean): number | null {
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (a instanceof Decimal || b instanceof Decimal) return compareNumeric(a, b) ?? null;
  if (time) {
    const x = toEpochMs(a);
    const y = toEpochMs(b);
    return x === null || y === null ? null : x - y;
  }
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) return a < b ? -1 : a > b ? 1 : 0;
  if (ta !== tb) return null;
  if (ta === 'string') return compareText(a as string, b as string);
  if (ta === 'number' || ta === 'boolean') return a < b ? -1 : a > b ? 1 : 0;
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/**
 * Arithmetic with an exact sum past 2^53 (a BigInt, only from SUM): exact while both sides are
 * integers, else in doubles; `/` is always a double (DuckDB's rule).
 */
function bigArith(op: ArithOp, p: number | bigint, q: number | bigint): number | bigint | null {
  const exact = (typeof p === 'bigint' || Number.isInteger(p)) && (typeof q === 'bigint' || Number.isInteger(q));
  if (!exact || op === '/') {
    const a = Number(p);
    const b = Number(q);
    if (op === '/' || op === '%') return b === 0 ? null : op === '/' ? a / b : a % b;
    return op === '+' ? a + b : op === '-' ? a - b : a * b;
  }
  const a = BigInt(p);
  const b = BigInt(q);
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default: return b === 0n ? null : a % b;
  }
}

/**
 * Arithmetic with a DECIMAL operand: exact against decimals, integers and BigInts (scale of `*` is
 * the sum of the scales, `%` keeps the larger); a fractional double makes it a double; `/` is
 * always a double (DuckDB's rules).
 */
function decimalArith(op: ArithOp, p: number | bigint | Decimal, q: number | bigint | Decimal, inexact: boolean): number | Decimal | null {
  const x = inexact ? undefined : exactDecimal(p);
  const y = inexact ? undefined : exactDecimal(q);
  if (!x || !y || op === '/') {
    const a = p instanceof Decimal ? p.toNumber() : Number(p);
    const b = q instanceof Decimal ? q.toNumber() : Number(q);
    if (op === '/' || op === '%') return b === 0 ? null : op === '/' ? a / b : a % b;
    return op === '+' ? a + b : op === '-' ? a - b : a * b;
  }
  switch (op) {
    case '+': return x.add(y);
    case '-': return x.sub(y);
    case '*': return x.mul(y);
    default: return x.mod(y) ?? null;
  }
}

const asText = valueText;

/** Builds the closure for an expression; `leaf` handles the context-specific nodes. */
function build<C>(e: PlanExpr, leaf: Leaf<C>): Fn<C> {
  const special = leaf(e);
  if (special) return special;
  const b = (x: PlanExpr): Fn<C> => build(x, leaf);
  switch (e.k) {
    case 'const': {
      const v = e.value;
      return () => v;
    }
    case 'arith': {
      const l = b(e.left);
      const r = b(e.right);
      const timeLeft = e.left.type === 'timestamp';
      const num = (f: Fn<C>, time: boolean) => (c: C): number | bigint | Decimal | null => {
        const v = f(c);
        return typeof v === 'number' || typeof v === 'bigint' || v instanceof Decimal ? v : time ? toEpochMs(v) : null;
      };
      const x = num(l, timeLeft);
      const y = num(r, e.right.type === 'timestamp');
      const op = e.op;
      // DECIMAL against a DOUBLE-typed side is a double even when that double holds an integer.
      const inexact = e.left.type === 'double' || e.right.type === 'double';
      return (c) => {
        const p = x(c);
        const q = y(c);
        if (p === null || q === null) return null;
        if (typeof p === 'number' && typeof q === 'number') {
          if (op === '/') return q === 0 ? null : p / q;
          if (op === '%') return q === 0 ? null : p % q;
          const r = op === '+' ? p + q : op === '-' ? p - q : p * q;
          // Integers never overflow nor round: past 2^53 the result is an exact BigInt (`a * a`).
          if (Number.isSafeInteger(r) || inexact || !Number.isInteger(p) || !Number.isInteger(q) || Math.abs(p) > Number.MAX_SAFE_INTEGER || Math.abs(q) > Number.MAX_SAFE_INTEGER) return r;
          return bigArith(op, p, q);
        }
        if (p instanceof Decimal || q instanceof Decimal) return decimalArith(op, p, q, inexact);
        return bigArith(op, p, q);
      };
    }
    case 'neg': {
      const a = b(e.arg);
      return (c) => { const v = a(c); return typeof v === 'number' || typeof v === 'bigint' ? -v : v instanceof Decimal ? v.neg() : null; };
    }
    case 'concat': {
      const l = b(e.left);
      const r = b(e.right);
      return (c) => {
        const p = l(c);
        const q = r(c);
        if (p === null || q === null) return null;
        const x = asText(p);
        const y = asText(q);
        checkTextLength(x.length + y.length, '||');
        return x + y;
      };
    }
    case 'cmp': {
      const l = b(e.left);
      const r = b(e.right);
      const time = e.time;
      const test: (n: number) => boolean = { '=': (n: number) => n === 0, '<>': (n: number) => n !== 0, '<': (n: number) => n < 0, '<=': (n: number) => n <= 0, '>': (n: number) => n > 0, '>=': (n: number) => n >= 0 }[e.op];
      return (c) => { const n = compare(l(c), r(c), time); return n === null ? null : test(n); };
    }
    case 'distinct': {
      const l = b(e.left);
      const r = b(e.right);
      const { time, negated } = e;
      return (c) => {
        const p = l(c) ?? null;
        const q = r(c) ?? null;
        // Two NULLs are not distinct, one NULL is; values of kinds that do not compare are distinct.
        const same = p === null || q === null ? p === q : compare(p, q, time) === 0;
        return same === negated;
      };
    }
    case 'and': {
      const args = e.args.map(b);
      return (c) => {
        let unknown = false;
        for (const a of args) {
          const v = truth(a(c));
          if (v === false) return false;
          if (v === null) unknown = true;
        }
        return unknown ? null : true;
      };
    }
    case 'or': {
      const args = e.args.map(b);
      return (c) => {
        let unknown = false;
        for (const a of args) {
          const v = truth(a(c));
          if (v === true) return true;
          if (v === null) unknown = true;
        }
        return unknown ? null : false;
      };
    }
    case 'not': {
      const a = b(e.arg);
      return (c) => { const v = truth(a(c)); return v === null ? null : !v; };
    }
    case 'in': {
      const a = b(e.arg);
      const list = e.list.map(b);
      const time = e.arg.type === 'timestamp' || e.list.some((x) => x.type === 'timestamp');
      const negated = e.negated;
      return (c) => {
        const v = a(c);
        if (v === null) return null;
        let unknown = false;
        for (const item of list) {
          const n = compare(v, item(c), time);
          if (n === 0) return !negated;
          if (n === null) unknown = true;
        }
        return unknown ? null : negated;
      };
    }
    case 'like': {
      const a = b(e.arg);
      const p = b(e.pattern);
      const { ci, negated, escape } = e;
      return (c) => {
        const v = a(c);
        const pat = p(c);
        if (v === null || pat === null) return null;
        return likeMatch(asText(v), asText(pat), ci, escape) !== negated;
      };
    }
    case 'is': {
      const a = b(e.arg);
      const { target, negated } = e;
      return (c) => {
        const v = a(c);
        const hit = target === 'null' ? v === null || v === undefined : target === 'true' ? v === true : v === false;
        return hit !== negated;
      };
    }
    case 'case': {
      const whens = e.whens.map((w) => ({ when: b(w.when), then: b(w.then) }));
      const otherwise = e.otherwise ? b(e.otherwise) : () => null;
      return (c) => {
        for (const w of whens) if (w.when(c) === true) return w.then(c);
        return otherwise(c);
      };
    }
    case 'cast': {
      const a = b(e.arg);
      const target = { to: e.to, scale: e.scale, precision: e.precision, bits: e.bits, fromTimestamp: e.arg.type === 'timestamp', fromDecimal: e.arg.type === 'decimal' || e.arg.type === 'integer' };
      return (c) => castValue(a(c), target);
    }
    case 'json': {
      const a = b(e.arg);
      const key = b(e.key);
      const text = e.asText;
      return (c) => {
        let v = a(c);
        const k = key(c);
        if (typeof v === 'string' && (v.startsWith('{') || v.startsWith('['))) {
          try { v = JSON.parse(v) as unknown; } catch { return null; }
        }
        let out: unknown = null;
        if (Array.isArray(v) && typeof k === 'number') out = v[k < 0 ? v.length + k : k] ?? null;
        else if (v !== null && typeof v === 'object' && typeof k === 'string' && Object.hasOwn(v, k)) out = (v as Record<string, unknown>)[k] ?? null;
        return text && out !== null ? asText(out) : out;
      };
    }
    case 'call': {
      const args = e.args.map(b);
      const fn = e.fn;
      const nullSafe = fn.nullSafe === true;
      // Functions that do not declare DECIMAL support see a double, as DuckDB casts for them.
      const plain = fn.decimal !== true;
      return (c) => {
        const vals = args.map((a) => a(c) ?? null);
        // Decimal.valueOf gives its double, so Number() serves decimals and big integers alike.
        if (plain) for (let i = 0; i < vals.length; i++) if (vals[i] instanceof Decimal || typeof vals[i] === 'bigint') vals[i] = Number(vals[i]);
        if (!nullSafe && vals.includes(null)) return null;
        try {
          return fn.call(vals) ?? null;
        } catch (err) {
          // A size bound is about this event's values, not the function: the event is dead-lettered.
          if (err instanceof ValueLimitError) throw err;
          throw new FunctionError(fn.name, err instanceof Error ? err.message : 'threw', { cause: err });
        }
      };
    }
    case 'field': case 'key': case 'agg': case 'window':
      break;
  }
  throw new Error(`expression node ${e.k} is not valid here`);
}

/** A closure over one event's data (WHERE, group keys, aggregate arguments, FILTER). */
export function compileRowExpr(e: PlanExpr): Fn<EventData> {
  return build<EventData>(e, (x) => (x.k === 'field' ? fieldFn(x.path) : undefined));
}

/** A closure over a group after aggregation (SELECT outputs, HAVING). */
export function compileGroupExpr(e: PlanExpr): Fn<GroupView> {
  return build<GroupView>(e, (x) => {
    if (x.k === 'key') { const i = x.index; return (g) => g.keys[i] ?? null; }
    if (x.k === 'agg') { const i = x.index; return (g) => g.results[i] ?? null; }
    if (x.k === 'window') return x.which === 'start' ? (g) => g.start : (g) => g.end;
    return undefined;
  });
}
