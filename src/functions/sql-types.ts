// Static SQL types the binder infers; 'any' is an event field whose type is only known at run time.

export const sqlTypes = ['integer', 'double', 'decimal', 'varchar', 'boolean', 'timestamp', 'array', 'any', 'null'] as const;
export type SqlType = (typeof sqlTypes)[number];

/** True when a value of this static type may be a number at run time. */
export const maybeNumeric = (t: SqlType): boolean => t === 'integer' || t === 'double' || t === 'decimal' || t === 'any' || t === 'null';

/** True when the type is known and is not numeric, so numeric use is a compile-time type error. */
export const surelyNotNumeric = (t: SqlType): boolean => !maybeNumeric(t);

/** True when the static type is a known number type. */
export const isNumeric = (t: SqlType): boolean => t === 'integer' || t === 'double' || t === 'decimal';

/** Result type of + - * % over two numeric operands (DuckDB rules: / is always double). */
export function numericResult(a: SqlType, b: SqlType): SqlType {
  if (a === 'any' || b === 'any') return 'any';
  if (a === 'double' || b === 'double') return 'double';
  if (a === 'decimal' || b === 'decimal') return 'decimal';
  return 'integer';
}

/** Whether two static types may be compared with = < > (unknown types always may). */
export function comparable(a: SqlType, b: SqlType): boolean {
  if (a === 'any' || b === 'any' || a === 'null' || b === 'null') return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  if ((a === 'timestamp' && b === 'varchar') || (a === 'varchar' && b === 'timestamp')) return true;
  return a === b;
}
