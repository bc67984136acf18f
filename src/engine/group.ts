// One group's state (keys, window, accumulators), its stable row key, and its serialized form.
import { distinctOf } from '../functions/index.js';
import type { AggregateFunction } from '../functions/index.js';
import type { QueryPlan } from '../sql/plan.js';
import { exactNumber, isoTime } from '../functions/index.js';
import { fromStoredValue, storedValue } from '../functions/index.js';
import { EngineStateError } from './errors.js';

/** A live group of one window (or of the whole stream when the query has no window). */
export interface Group {
  keys: unknown[];
  states: unknown[];
  /** Window bounds in epoch ms; NaN when the query has no window. */
  start: number;
  end: number;
  rowKey: string;
  /** Whether the last row sent for this key passed HAVING (so a later failure must send a delete). */
  visible: boolean;
  removed: boolean;
  /** The apply() call that last marked this group changed; avoids a Set per event. */
  mark: number;
  /** Its row key is not in the checkpoint yet (new group, or a session whose start moved): the result index must learn it. */
  fresh: boolean;
}

/** An aggregate ready to run: DISTINCT applied, parameters bound. */
export interface BoundAggregate {
  fn: AggregateFunction;
  params: unknown[];
  acceptsNulls: boolean;
}

/** The effective aggregate functions of a plan, in aggregate order. */
export function bindAggregates(plan: QueryPlan): BoundAggregate[] {
  return plan.aggregates.map((a) => {
    const fn = a.distinct ? (distinctOf(a.fn, a.params) as AggregateFunction) : a.fn;
    return { fn, params: a.params, acceptsNulls: fn.acceptsNulls === true };
  });
}

/**
 * The stable key of a result row: JSON of the group values, then the window bounds as ISO text.
 * A session's end moves as it grows, so a session row is keyed by its start only.
 */
export function rowKeyOf(keys: unknown[], start: number, end: number, session: boolean): string {
  if (Number.isNaN(start)) return JSON.stringify(keys, bigAsJson);
  return JSON.stringify(session ? [...keys, isoTime(start)] : [...keys, isoTime(start), isoTime(end)], bigAsJson);
}

// A big integer key prints as rows print it: a number when exact, else its digits as text.
const bigAsJson = (_: string, v: unknown): unknown => (typeof v === 'bigint' ? exactNumber(v) : v);

interface Stored {
  k: unknown[];
  s: number | null;
  e: number | null;
  a: unknown[];
  v: boolean;
}

/** The JSON text one group is checkpointed as. */
export function serializeGroup(g: Group, aggs: BoundAggregate[]): string {
  const stored: Stored = {
    k: g.keys.map(storedValue),
    s: Number.isNaN(g.start) ? null : g.start,
    e: Number.isNaN(g.end) ? null : g.end,
    a: g.states.map((st, i) => (aggs[i] as BoundAggregate).fn.serialize(st)),
    v: g.visible,
  };
  return JSON.stringify(stored);
}

/** What a commit writes for one group: its entry and, for states kept outside it, values for its values hash. */
export interface CheckpointedGroup {
  text: string;
  /** (field, value) pairs for the group's values hash (fields prefixed by aggregate index); undefined: none kept outside. */
  values?: [string, string][];
}

/**
 * The group as a commit writes it. Once one of its states is large, every external-capable state
 * of the group goes outside its entry together; `outside` says the values hash already holds
 * them, so only values added since the last commit are written.
 */
export function checkpointGroup(g: Group, aggs: BoundAggregate[], outside: boolean): CheckpointedGroup {
  const go = outside || g.states.some((st, i) => (aggs[i] as BoundAggregate).fn.external?.large(st) === true);
  if (!go) {
    for (const [i, st] of g.states.entries()) (aggs[i] as BoundAggregate).fn.external?.settle(st);
    return { text: serializeGroup(g, aggs) };
  }
  const values: [string, string][] = [];
  const stored: Stored = {
    k: g.keys.map(storedValue),
    s: Number.isNaN(g.start) ? null : g.start,
    e: Number.isNaN(g.end) ? null : g.end,
    a: g.states.map((st, i) => {
      const fn = (aggs[i] as BoundAggregate).fn;
      if (!fn.external) return fn.serialize(st);
      for (const [f, v] of fn.external.take(st, !outside)) values.push([`${i}:${f}`, v]);
      return fn.external.stub(st);
    }),
    v: g.visible,
  };
  return { text: JSON.stringify(stored), values };
}

/** Whether a checkpoint entry holds stand-ins whose values are in the group's values hash. */
export function hasOutsideValues(text: string, aggs: BoundAggregate[]): boolean {
  // Cheap test first: most entries hold no stand-in at all.
  if (!text.includes('"$values"')) return false;
  const stored = JSON.parse(text) as Stored;
  return stored.a.some((j, i) => (aggs[i] as BoundAggregate).fn.external?.isStub(j) === true);
}

/** A checkpoint entry with its stand-ins replaced by the states rebuilt from its values hash. */
export function withOutsideValues(text: string, values: Record<string, string>, aggs: BoundAggregate[]): string {
  const stored = JSON.parse(text) as Stored;
  stored.a = stored.a.map((j, i) => {
    const fn = (aggs[i] as BoundAggregate).fn;
    if (!fn.external?.isStub(j)) return j;
    const prefix = `${i}:`;
    const entries: [string, string][] = [];
    for (const [f, v] of Object.entries(values)) if (f.startsWith(prefix)) entries.push([f.slice(prefix.length), v]);
    return fn.serialize(fn.external.restore(j, entries));
  });
  return JSON.stringify(stored);
}

/** Reads a group back from its checkpoint text. */
export function deserializeGroup(text: string, aggs: BoundAggregate[], session: boolean): Group {
  let stored: Stored;
  try {
    stored = JSON.parse(text) as Stored;
  } catch (err) {
    throw new EngineStateError('a checkpointed group is not valid JSON', { cause: err });
  }
  if (!Array.isArray(stored.k) || !Array.isArray(stored.a) || stored.a.length !== aggs.length) {
    throw new EngineStateError('a checkpointed group does not match the query plan');
  }
  const start = stored.s ?? NaN;
  const end = stored.e ?? NaN;
  const groupKeys = stored.k.map(fromStoredValue);
  return {
    keys: groupKeys,
    states: stored.a.map((j, i) => {
      const agg = aggs[i] as BoundAggregate;
      return agg.fn.deserialize(j, agg.params);
    }),
    start,
    end,
    rowKey: rowKeyOf(groupKeys, start, end, session),
    visible: stored.v === true,
    removed: false,
    mark: -1,
    fresh: false,
  };
}

/**
 * Merges two serialized states of the same group (e.g. partial aggregates from two stream
 * partitions). Session bounds widen to cover both.
 */
export function mergeStates(plan: QueryPlan, a: string, b: string): string {
  const aggs = bindAggregates(plan);
  const session = plan.window?.kind === 'session';
  const x = deserializeGroup(a, aggs, session);
  const y = deserializeGroup(b, aggs, session);
  const merged: Group = {
    ...x,
    states: x.states.map((s, i) => (aggs[i] as BoundAggregate).fn.merge(s, y.states[i])),
    start: Math.min(x.start, y.start),
    end: Math.max(x.end, y.end),
    visible: x.visible || y.visible,
  };
  return serializeGroup(merged, aggs);
}
