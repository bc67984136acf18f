// Our own typed SQL syntax tree: the loose parser AST is converted into this at once.

/** Where a node starts in the SQL text (1-based line and column, 0-based offset). */
export interface Pos {
  line: number;
  column: number;
  offset: number;
}

/** One part of an identifier path; quoted parts match event fields exactly. */
export interface Ident {
  name: string;
  quoted: boolean;
}

export type LiteralType = 'integer' | 'double' | 'decimal' | 'varchar' | 'boolean' | 'null' | 'timestamp';

export type CastTarget = 'integer' | 'double' | 'decimal' | 'varchar' | 'boolean' | 'timestamp';

/** A scalar, aggregate or window-function expression as written. */
export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null; litType: LiteralType; pos: Pos }
  | { kind: 'interval'; ms: number; text: string; pos: Pos }
  | { kind: 'column'; path: Ident[]; pos: Pos }
  | { kind: 'star'; pos: Pos }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; pos: Pos }
  | { kind: 'unary'; op: '-' | '+' | 'NOT'; operand: Expr; pos: Pos }
  | { kind: 'in'; operand: Expr; list: Expr[]; negated: boolean; pos: Pos }
  | { kind: 'between'; operand: Expr; low: Expr; high: Expr; negated: boolean; pos: Pos }
  | { kind: 'like'; operand: Expr; pattern: Expr; negated: boolean; caseInsensitive: boolean; escape?: string; pos: Pos }
  | { kind: 'is'; operand: Expr; target: 'null' | 'true' | 'false'; negated: boolean; pos: Pos }
  | { kind: 'case'; subject: Expr | undefined; whens: { when: Expr; then: Expr }[]; otherwise: Expr | undefined; pos: Pos }
  | { kind: 'cast'; operand: Expr; target: CastTarget; precision: number | undefined; scale: number | undefined; bits?: number; pos: Pos }
  | { kind: 'call'; name: string; args: Expr[]; distinct: boolean; star: boolean; filter: Expr | undefined; pos: Pos }
  | { kind: 'extract'; field: string; operand: Expr; pos: Pos }
  | { kind: 'json'; op: '->' | '->>'; operand: Expr; key: Expr; pos: Pos };

export const binaryOps = ['+', '-', '*', '/', '%', '||', '=', '<>', '<', '<=', '>', '>=', 'IS DISTINCT FROM', 'IS NOT DISTINCT FROM', 'AND', 'OR'] as const;
export type BinaryOp = (typeof binaryOps)[number];

/** A Flink table-valued window written as FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), …)). */
export interface TableWindow {
  fn: string;
  timeColumn: Expr;
  args: Expr[];
  pos: Pos;
}

/** The one statement shape we accept. */
export interface SelectStmt {
  items: { expr: Expr; alias: string | undefined; pos: Pos }[];
  from: { name: string; alias: string | undefined; pos: Pos };
  tableWindow: TableWindow | undefined;
  where: Expr | undefined;
  groupBy: Expr[];
  having: Expr | undefined;
}
