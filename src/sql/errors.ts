// Compile-time errors: one catalogue of stable codes, each error pointing at line:column.

/** Stable codes for every refusal the SQL compiler can make. */
export const SqlErrorCode = {
  syntax: 'SG_ERR_SQL_SYNTAX',
  tooLong: 'SG_ERR_SQL_TOO_LONG',
  tooDeep: 'SG_ERR_SQL_TOO_DEEP',
  notSelect: 'SG_ERR_SQL_NOT_SELECT',
  multipleStatements: 'SG_ERR_SQL_MULTIPLE_STATEMENTS',
  join: 'SG_ERR_SQL_JOIN',
  subquery: 'SG_ERR_SQL_SUBQUERY',
  union: 'SG_ERR_SQL_UNION',
  orderBy: 'SG_ERR_SQL_ORDER_BY',
  limit: 'SG_ERR_SQL_LIMIT',
  over: 'SG_ERR_SQL_OVER',
  with: 'SG_ERR_SQL_WITH',
  distinct: 'SG_ERR_SQL_SELECT_DISTINCT',
  noFrom: 'SG_ERR_SQL_NO_FROM',
  notGrouped: 'SG_ERR_SQL_NOT_GROUPED',
  unknownFunction: 'SG_ERR_SQL_UNKNOWN_FUNCTION',
  arity: 'SG_ERR_SQL_ARITY',
  type: 'SG_ERR_SQL_TYPE',
  aggregateInWhere: 'SG_ERR_SQL_AGGREGATE_IN_WHERE',
  aggregateInGroupBy: 'SG_ERR_SQL_AGGREGATE_IN_GROUP_BY',
  nestedAggregate: 'SG_ERR_SQL_NESTED_AGGREGATE',
  window: 'SG_ERR_SQL_WINDOW',
  unsupported: 'SG_ERR_SQL_UNSUPPORTED',
  duplicateColumn: 'SG_ERR_SQL_DUPLICATE_COLUMN',
  function: 'SG_ERR_FUNCTION',
} as const;

export type SqlErrorCodeValue = (typeof SqlErrorCode)[keyof typeof SqlErrorCode];

/** A source position, 1-based like editors show it. */
export interface SourcePos {
  line: number;
  column: number;
}

/** A refusal of a query: stable code, message naming the construct, and where it is. */
export class SqlError extends Error {
  override name = 'SqlError';
  readonly code: SqlErrorCodeValue;
  readonly line: number;
  readonly column: number;
  readonly construct?: string;

  constructor(code: SqlErrorCodeValue, message: string, pos: SourcePos | undefined, construct?: string, options?: { cause?: unknown }) {
    const line = pos?.line ?? 1;
    const column = pos?.column ?? 1;
    super(`${message} at line ${line}, column ${column}`, options);
    this.code = code;
    this.line = line;
    this.column = column;
    if (construct !== undefined) this.construct = construct;
  }
}

export { FunctionError } from '../functions/index.js';
