// The two plugin interfaces: every built-in and user function is written against these.
import type { SqlType } from './sql-types.js';

/** A result type, or a message explaining why the argument types are refused. */
export type TypeCheck = SqlType | { error: string };

/** Per-row context an aggregate may use: event time and id give a total order for FIRST/LAST. */
export interface AggregateContext {
  ts: number;
  id: string;
}

/**
 * An aggregate function. `add` may mutate and return its state, or return a new one.
 * States must be mergeable: merge(a, merge(b, c)) equals merge(merge(a, b), c), and merge is commutative.
 */
export interface AggregateFunction<S = unknown> {
  readonly kind: 'aggregate';
  readonly name: string;
  /** Argument count including constant parameters (e.g. the p of APPROX_PERCENTILE(x, p)). */
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Whether DISTINCT is accepted; the engine then feeds each distinct value once. */
  readonly distinctAllowed?: boolean;
  /** When true, the result depends on input order, so DISTINCT keeps each value's first (ts, id). */
  readonly ordered?: boolean;
  /** When true, null inputs are passed to add; by default they are skipped (SQL semantics). */
  readonly acceptsNulls?: boolean;
  /** Takes DECIMAL inputs as exact values (src/functions/decimal.ts); other aggregates get doubles. */
  readonly decimal?: boolean;
  /**
   * Built-ins only (a plugin cannot set it): the engine may run this aggregate's add() as its own
   * inlined loop instead of calling it, with the same result.
   */
  readonly kernel?: 'count' | 'sum' | 'avg' | 'min' | 'max';
  /** Result type from argument types; parameters after the first must be constants. */
  returnType(argTypes: SqlType[]): TypeCheck;
  /** Validates constant parameters at compile time; return an error message to refuse them. */
  checkParams?(params: unknown[]): string | undefined;
  init(params: unknown[]): S;
  add(state: S, value: unknown, ctx: AggregateContext): S;
  merge(a: S, b: S): S;
  result(state: S): unknown;
  serialize(state: S): unknown;
  deserialize(json: unknown, params: unknown[]): S;
  /**
   * States that grow with their input (DISTINCT value sets) and would make every commit rewrite
   * them whole: once `large`, the group's checkpoint entry holds a small stand-in (enough to
   * render the result) and the values live in a hash beside it, written as they arrive.
   */
  readonly external?: ExternalState<S>;
}

export interface ExternalState<S> {
  large(state: S): boolean;
  /** The stand-in for the group's entry (serialized in place of the state). */
  stub(state: S): unknown;
  isStub(json: unknown): boolean;
  /** (field, value) pairs for the values hash: those added since the last call, or all of them. */
  take(state: S, all: boolean): [string, string][];
  /** The state was checkpointed whole (in its group's entry): nothing is pending any more. */
  settle(state: S): void;
  /** The state rebuilt from its stand-in and every pair of its values hash. */
  restore(stub: unknown, entries: [string, string][]): S;
}

/** A scalar function. Unless `nullSafe`, a null argument makes the result null without a call. */
export interface ScalarFunction {
  readonly kind: 'scalar';
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly nullSafe?: boolean;
  /** Takes DECIMAL arguments as exact values (src/functions/decimal.ts); other functions get doubles. */
  readonly decimal?: boolean;
  returnType(argTypes: SqlType[]): TypeCheck;
  call(args: unknown[]): unknown;
}

export type SqlFunction = AggregateFunction | ScalarFunction;
