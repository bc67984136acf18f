// Prints our syntax tree back to SQL: output column names, and a canonical form to match GROUP BY keys.
import type { Expr, Ident } from './ast.js';

const ident = (p: Ident, canonical: boolean): string => (p.quoted ? `"${p.name}"` : canonical ? p.name.toLowerCase() : p.name);

const wrap = (e: Expr, canonical: boolean): string => {
  const s = printExpr(e, canonical);
  return e.kind === 'binary' || e.kind === 'between' || e.kind === 'in' || e.kind === 'like' || e.kind === 'is' ? `(${s})` : s;
};

/** SQL text of an expression; `canonical` lower-cases unquoted identifiers so equal expressions print equal. */
export function printExpr(e: Expr, canonical = false): string {
  const p = (x: Expr): string => wrap(x, canonical);
  switch (e.kind) {
    case 'literal':
      if (e.litType === 'varchar') return `'${String(e.value).replace(/'/g, "''")}'`;
      if (e.litType === 'null') return 'NULL';
      if (e.litType === 'boolean') return e.value === true ? 'TRUE' : 'FALSE';
      if (e.litType === 'timestamp') return `TIMESTAMP '${new Date(Number(e.value)).toISOString()}'`;
      return String(e.value);
    case 'interval': return `INTERVAL '${e.text}'`;
    case 'column': return e.path.map((x) => ident(x, canonical)).join('.');
    case 'star': return '*';
    case 'binary': return `${p(e.left)} ${e.op} ${p(e.right)}`;
    case 'unary': return e.op === 'NOT' ? `NOT ${p(e.operand)}` : `${e.op}${p(e.operand)}`;
    case 'in': return `${p(e.operand)}${e.negated ? ' NOT' : ''} IN (${e.list.map((x) => printExpr(x, canonical)).join(', ')})`;
    case 'between': return `${p(e.operand)}${e.negated ? ' NOT' : ''} BETWEEN ${p(e.low)} AND ${p(e.high)}`;
    case 'like': return `${p(e.operand)}${e.negated ? ' NOT' : ''} ${e.caseInsensitive ? 'ILIKE' : 'LIKE'} ${p(e.pattern)}`;
    case 'is': return `${p(e.operand)} IS ${e.negated ? 'NOT ' : ''}${e.target.toUpperCase()}`;
    case 'case': {
      const subject = e.subject ? ` ${printExpr(e.subject, canonical)}` : '';
      const whens = e.whens.map((w) => ` WHEN ${printExpr(w.when, canonical)} THEN ${printExpr(w.then, canonical)}`).join('');
      const otherwise = e.otherwise ? ` ELSE ${printExpr(e.otherwise, canonical)}` : '';
      return `CASE${subject}${whens}${otherwise} END`;
    }
    case 'cast': {
      const integerNames: Record<number, string> = { 8: 'TINYINT', 16: 'SMALLINT', 32: 'INTEGER', 64: 'BIGINT' };
      const size = [e.precision, e.scale].filter((n) => n !== undefined).join(', ');
      // Integer widths print by name: CAST(x AS SMALLINT) and CAST(x AS BIGINT) are different expressions.
      const name = e.target === 'integer' && e.bits !== undefined ? integerNames[e.bits] ?? 'INTEGER' : e.target.toUpperCase();
      return `CAST(${printExpr(e.operand, canonical)} AS ${name}${size ? `(${size})` : ''})`;
    }
    case 'call': {
      const args = e.star ? '*' : e.args.map((x) => printExpr(x, canonical)).join(', ');
      const filter = e.filter ? ` FILTER (WHERE ${printExpr(e.filter, canonical)})` : '';
      return `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${args})${filter}`;
    }
    case 'extract': return `EXTRACT(${e.field} FROM ${printExpr(e.operand, canonical)})`;
    case 'json': return `${p(e.operand)} ${e.op} ${p(e.key)}`;
  }
}
