// Builds the per-event accumulator update as one closure per aggregate, so each call site stays monomorphic.
import { Decimal } from '../functions/index.js';
import { addSum } from '../functions/index.js';
import type { AvgState, SumState } from '../functions/index.js';
import type { AggregateContext, AggregateFunction } from '../functions/index.js';
import type { AggregateCall } from '../sql/plan.js';
import type { EventData } from './expr.js';
import { compileRowExpr, fieldMiss, simpleFieldName } from './expr.js';
import type { BoundAggregate } from './group.js';

/** Applies one event to a group's accumulator states. */
export type Updater = (states: unknown[], data: EventData, ctx: AggregateContext) => void;

/** addSum's common case first: a number that stays a safe integer needs no BigInt check (small enough for V8 to inline). */
function addNumber(cur: SumState, v: number): SumState {
  if (typeof cur === 'number') {
    const r = cur + v;
    if (Number.isSafeInteger(r)) return r;
  }
  return addSum(cur, v);
}

// Top-level field arguments are read in place (no closure call); V8 cannot inline closures that share code.
function direct(i: number, fn: AggregateFunction, name: string, exact: boolean): Updater | undefined {
  if (fn.kernel === 'sum') {
    return (s, d) => {
      let v = d[name];
      if (v === undefined) v = fieldMiss(d, name, exact);
      if (typeof v !== 'number') return;
      s[i] = addNumber(s[i] as SumState, v);
    };
  }
  if (fn.kernel === 'avg') {
    return (s, d) => {
      let v = d[name];
      if (v === undefined) v = fieldMiss(d, name, exact);
      if (typeof v !== 'number') return;
      const st = s[i] as AvgState;
      st.sum = addNumber(st.sum, v);
      st.n++;
    };
  }
  if (fn.kernel === 'count') {
    return (s, d) => {
      let v = d[name];
      if (v === undefined) v = fieldMiss(d, name, exact);
      if (v !== null && v !== undefined) s[i] = (s[i] as number) + 1;
    };
  }
  return undefined;
}

function one(i: number, agg: BoundAggregate, call: AggregateCall): Updater {
  const fn = agg.fn;
  const arg = call.arg ? compileRowExpr(call.arg) : undefined;
  const filter = call.filter ? compileRowExpr(call.filter) : undefined;
  const name = simpleFieldName(call.arg);
  const fast = name !== undefined && call.arg?.k === 'field' && !call.distinct ? direct(i, fn, name, call.arg.path[0]?.exact === true) : undefined;
  let step: Updater;
  // Separate function literals for the common built-ins give each its own type feedback in V8,
  // instead of one shared call site that sees every aggregate's add().
  if (fast !== undefined) {
    step = fast;
  } else if (arg !== undefined && fn.kernel === 'count') {
    step = (s, d) => {
      const v = arg(d);
      if (v !== null && v !== undefined) s[i] = (s[i] as number) + 1;
    };
  } else if (arg !== undefined && fn.kernel === 'sum') {
    step = (s, d) => {
      const v = arg(d);
      if (typeof v === 'number') s[i] = addNumber(s[i] as SumState, v);
      else if (v instanceof Decimal) s[i] = addSum(s[i] as SumState, v);
    };
  } else if (arg !== undefined && fn.kernel === 'avg') {
    step = (s, d) => {
      const v = arg(d);
      if (typeof v !== 'number' && !(v instanceof Decimal)) return;
      const st = s[i] as AvgState;
      st.sum = typeof v === 'number' ? addNumber(st.sum, v) : addSum(st.sum, v);
      st.n++;
    };
  } else if (arg === undefined && fn.kernel === 'count') {
    step = (s) => {
      s[i] = (s[i] as number) + 1;
    };
  } else if (arg === undefined) {
    step = (s, _d, c) => {
      s[i] = fn.add(s[i], 1, c);
    };
  } else if (fn.decimal !== true) {
    // Aggregates without DECIMAL support see doubles, as DuckDB casts for them.
    const nulls = agg.acceptsNulls;
    step = (s, d, c) => {
      let v = arg(d);
      if (v instanceof Decimal) v = v.toNumber();
      if (nulls) s[i] = fn.add(s[i], v ?? null, c);
      else if (v !== null && v !== undefined) s[i] = fn.add(s[i], v, c);
    };
  } else if (agg.acceptsNulls) {
    step = (s, d, c) => {
      s[i] = fn.add(s[i], arg(d) ?? null, c);
    };
  } else {
    step = (s, d, c) => {
      const v = arg(d);
      if (v !== null && v !== undefined) s[i] = fn.add(s[i], v, c);
    };
  }
  if (filter === undefined) return step;
  return (s, d, c) => {
    if (filter(d) === true) step(s, d, c);
  };
}

/** One closure that updates every aggregate of a query for one event. */
export function buildUpdater(aggs: BoundAggregate[], calls: AggregateCall[]): Updater {
  const steps = aggs.map((a, i) => one(i, a, calls[i] as AggregateCall));
  const [u0, u1, u2, u3] = steps;
  switch (steps.length) {
    case 0: return () => undefined;
    case 1: return u0 as Updater;
    case 2: return (s, d, c) => { (u0 as Updater)(s, d, c); (u1 as Updater)(s, d, c); };
    case 3: return (s, d, c) => { (u0 as Updater)(s, d, c); (u1 as Updater)(s, d, c); (u2 as Updater)(s, d, c); };
    case 4: return (s, d, c) => { (u0 as Updater)(s, d, c); (u1 as Updater)(s, d, c); (u2 as Updater)(s, d, c); (u3 as Updater)(s, d, c); };
    default: return (s, d, c) => {
      for (const u of steps) u(s, d, c);
    };
  }
}
