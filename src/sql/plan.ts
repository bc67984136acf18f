// The typed query plan: the only thing that crosses from the compiler to the engine.
import type { CastTarget } from './ast.js';

export type { CastTarget };
import type { AggregateFunction, ScalarFunction } from '../functions/index.js';
import type { SqlType } from '../functions/index.js';

/** One step of a field path; `exact` for double-quoted identifiers, else matched case-insensitively. */
export interface FieldStep {
  name: string;
  exact: boolean;
}

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';

/** A bound expression; `type` is its static type. */
export type PlanExpr =
  | { k: 'const'; value: unknown; type: SqlType }
  | { k: 'field'; path: FieldStep[]; type: SqlType }
  | { k: 'arith'; op: ArithOp; left: PlanExpr; right: PlanExpr; type: SqlType }
  | { k: 'neg'; arg: PlanExpr; type: SqlType }
  | { k: 'concat'; left: PlanExpr; right: PlanExpr; type: SqlType }
  | { k: 'cmp'; op: CompareOp; left: PlanExpr; right: PlanExpr; time: boolean; type: SqlType }
  // IS [NOT] DISTINCT FROM: equality where NULL equals NULL; never NULL itself.
  | { k: 'distinct'; left: PlanExpr; right: PlanExpr; negated: boolean; time: boolean; type: SqlType }
  | { k: 'and' | 'or'; args: PlanExpr[]; type: SqlType }
  | { k: 'not'; arg: PlanExpr; type: SqlType }
  | { k: 'in'; arg: PlanExpr; list: PlanExpr[]; negated: boolean; type: SqlType }
  | { k: 'like'; arg: PlanExpr; pattern: PlanExpr; ci: boolean; negated: boolean; escape: string; type: SqlType }
  | { k: 'is'; arg: PlanExpr; target: 'null' | 'true' | 'false'; negated: boolean; type: SqlType }
  | { k: 'case'; whens: { when: PlanExpr; then: PlanExpr }[]; otherwise: PlanExpr | undefined; type: SqlType }
  | { k: 'cast'; arg: PlanExpr; to: CastTarget; scale: number | undefined; precision?: number; bits?: number; type: SqlType }
  | { k: 'json'; arg: PlanExpr; key: PlanExpr; asText: boolean; type: SqlType }
  | { k: 'call'; fn: ScalarFunction; args: PlanExpr[]; type: SqlType }
  // Only after aggregation: a group key, an aggregate result, or a window bound.
  | { k: 'key'; index: number; type: SqlType }
  | { k: 'agg'; index: number; type: SqlType }
  | { k: 'window'; which: 'start' | 'end'; type: SqlType };

/** HOP (size / slide) and CUMULATE (max / step) may put one event in at most this many windows. */
export const maxWindowsPerEvent = 1_000;

/** The window in GROUP BY; all lengths in milliseconds, aligned to the epoch in UTC. */
export type WindowSpec =
  | { kind: 'tumble'; size: number }
  | { kind: 'hop'; slide: number; size: number }
  | { kind: 'cumulate'; step: number; max: number }
  | { kind: 'session'; gap: number };

/** One aggregate call; the engine keeps one state per group for each. */
export interface AggregateCall {
  fn: AggregateFunction;
  /** The value argument, or undefined for COUNT(*). */
  arg: PlanExpr | undefined;
  /** Constant parameters after the value (e.g. p of APPROX_PERCENTILE). */
  params: unknown[];
  distinct: boolean;
  filter: PlanExpr | undefined;
  text: string;
  type: SqlType;
}

/** A compiled continuous aggregation over one stream. */
export interface QueryPlan {
  source: string;
  where: PlanExpr | undefined;
  keys: { expr: PlanExpr; text: string }[];
  window: WindowSpec | undefined;
  /** The column the window is over, as written (its stream qualifier stripped), and where. */
  windowColumn?: { path: FieldStep[]; line: number; column: number };
  aggregates: AggregateCall[];
  outputs: { name: string; expr: PlanExpr; type: SqlType }[];
  having: PlanExpr | undefined;
}
