// Loose node-sql-parser AST → our typed tree, refusing unsupported constructs on the way.
import type { BinaryOp, CastTarget, Expr, Ident, Pos, SelectStmt, TableWindow } from './ast.js';
import { binaryOps } from './ast.js';
import { SqlError, SqlErrorCode } from './errors.js';
import { findWord, posAt } from './position.js';
import { parseInterval } from './interval.js';
import { BACKSLASH_STAND_IN, scanSql } from './scan.js';
import { parseIsoTime } from '../util/iso-time.js';

type Loose = Record<string, unknown>;

// Must equal distinctSuffix in parse.ts (not imported: parse.ts imports this file).
const distinctMark = '__D';

const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

// The width of each integer type, for CAST's range check (a value out of range is NULL, as TRY_CAST).
const integerBits: Record<string, number> = { TINYINT: 8, SMALLINT: 16, INT: 32, INTEGER: 32, INT4: 32, BIGINT: 64, INT8: 64 };

const castTargets: Record<string, CastTarget> = {
  INT: 'integer', INTEGER: 'integer', BIGINT: 'integer', SMALLINT: 'integer', TINYINT: 'integer', INT4: 'integer', INT8: 'integer',
  DOUBLE: 'double', FLOAT: 'double', REAL: 'double', FLOAT8: 'double', 'DOUBLE PRECISION': 'double',
  DECIMAL: 'decimal', NUMERIC: 'decimal',
  VARCHAR: 'varchar', TEXT: 'varchar', STRING: 'varchar', CHAR: 'varchar',
  BOOLEAN: 'boolean', BOOL: 'boolean',
  TIMESTAMP: 'timestamp', TIMESTAMPTZ: 'timestamp',
};

class Converter {
  /** Negative integer literals past 2^53 as written, in order (the parser hands them over as rounded doubles). */
  private bigNegatives: string[] | undefined;

  constructor(private readonly sql: string, private readonly maxDepth: number) {}

  pos(node: unknown, fallback: Pos): Pos {
    const start = isObj(node) && isObj(node.loc) && isObj(node.loc.start) ? node.loc.start : undefined;
    if (start && typeof start.offset === 'number') return posAt(this.sql, start.offset);
    return fallback;
  }

  statement(loose: unknown): SelectStmt {
    const origin = posAt(this.sql, 0);
    if (Array.isArray(loose)) {
      if (loose.length !== 1) throw new SqlError(SqlErrorCode.multipleStatements, 'only one SQL statement is allowed', findWord(this.sql, ';', 0, origin), 'multiple statements');
      loose = loose[0];
    }
    if (!isObj(loose) || loose.type !== 'select') {
      const kind = isObj(loose) ? String(loose.type).toUpperCase() : 'statement';
      throw new SqlError(SqlErrorCode.notSelect, `only SELECT is supported, not ${kind}`, origin, kind);
    }
    this.refuseClauses(loose, origin);
    const from = this.from(loose.from, origin);
    const columns = Array.isArray(loose.columns) ? loose.columns : [];
    const items = columns.map((c: unknown) => {
      const item = isObj(c) ? c : {};
      const expr = this.expr(item.expr, origin, 0);
      return { expr, alias: str(item.as) ?? undefined, pos: expr.pos };
    });
    const groupBy = isObj(loose.groupby) && Array.isArray(loose.groupby.columns) ? loose.groupby.columns.map((g) => this.expr(g, origin, 0)) : [];
    return {
      items,
      from,
      tableWindow: undefined,
      where: loose.where ? this.expr(loose.where, origin, 0) : undefined,
      groupBy,
      having: loose.having ? this.expr(loose.having, findWord(this.sql, 'HAVING', 0, origin), 0) : undefined,
    };
  }

  refuseClauses(s: Loose, origin: Pos): void {
    const at = (word: string): Pos => findWord(this.sql, word, 0, origin);
    if (s.with) throw new SqlError(SqlErrorCode.with, 'WITH (common table expressions) is not supported', at('WITH'), 'WITH');
    if (s._next || s.set_op) {
      const op = (str(s.set_op) ?? 'union').toUpperCase();
      throw new SqlError(SqlErrorCode.union, `${op} is not supported on a stream`, at(op.split(' ')[0] ?? op), op);
    }
    if (isObj(s.distinct) && s.distinct.type) throw new SqlError(SqlErrorCode.distinct, 'SELECT DISTINCT is not supported; use GROUP BY', at('DISTINCT'), 'SELECT DISTINCT');
    if (Array.isArray(s.orderby) && s.orderby.length > 0) throw new SqlError(SqlErrorCode.orderBy, 'ORDER BY is not supported on a stream', at('ORDER'), 'ORDER BY');
    if (isObj(s.limit) && Array.isArray(s.limit.value) && s.limit.value.length > 0) throw new SqlError(SqlErrorCode.limit, 'LIMIT is not supported on a stream', at('LIMIT'), 'LIMIT');
    if (s.window) throw new SqlError(SqlErrorCode.over, 'WINDOW clauses (OVER windows) are not supported', at('WINDOW'), 'WINDOW');
  }

  from(from: unknown, origin: Pos): SelectStmt['from'] {
    if (!Array.isArray(from) || from.length === 0) throw new SqlError(SqlErrorCode.noFrom, 'a query needs FROM <stream>', origin, 'FROM');
    const second = from[1] as unknown;
    if (isObj(second)) {
      if (second.join) throw new SqlError(SqlErrorCode.join, `${str(second.join) ?? 'JOIN'} is not supported: a query reads one stream`, findWord(this.sql, 'JOIN', 0, origin), 'JOIN');
      throw new SqlError(SqlErrorCode.join, 'a query reads one stream; a comma join is not supported', findWord(this.sql, str(second.table) ?? ',', findWord(this.sql, 'FROM', 0, origin).offset, origin), 'JOIN');
    }
    const first = from[0] as unknown;
    if (!isObj(first) || typeof first.table !== 'string') {
      throw new SqlError(SqlErrorCode.subquery, 'subqueries are not supported in FROM', findWord(this.sql, 'SELECT', 1, origin), 'subquery');
    }
    const pos = findWord(this.sql, first.table, findWord(this.sql, 'FROM', 0, origin).offset, origin);
    return { name: first.table, alias: str(first.as), pos };
  }

  expr(node: unknown, parent: Pos, depth: number): Expr {
    if (depth > this.maxDepth) throw new SqlError(SqlErrorCode.tooDeep, `expression nested more than ${this.maxDepth} levels deep`, parent, 'nesting');
    const pos = this.pos(node, parent);
    if (!isObj(node)) throw new SqlError(SqlErrorCode.unsupported, 'unsupported expression', pos, 'expression');
    if (node.ast !== undefined || node.tableList !== undefined) throw new SqlError(SqlErrorCode.subquery, 'subqueries are not supported', findWord(this.sql, 'SELECT', pos.offset, pos), 'subquery');
    const sub = (n: unknown): Expr => this.expr(n, pos, depth + 1);
    switch (node.type) {
      case 'number': return this.number(this.exactText(node.value), pos);
      case 'bigint': return this.number(node.value, pos);
      // PostgreSQL's "x" is always an identifier; the parser reads it as a string inside some calls (SUBSTRING).
      case 'double_quote_string': return { kind: 'column', path: [{ name: String(node.value), quoted: true }], pos };
      case 'single_quote_string': case 'string': case 'natural_string':
        return { kind: 'literal', value: String(node.value).replace(/''/g, "'").replaceAll(BACKSLASH_STAND_IN, '\\'), litType: 'varchar', pos };
      case 'bool': return { kind: 'literal', value: node.value === true, litType: 'boolean', pos };
      case 'null': return { kind: 'literal', value: null, litType: 'null', pos };
      case 'timestamp': case 'datetime': {
        const ms = parseIsoTime(String(node.value)) ?? NaN;
        if (Number.isNaN(ms)) throw new SqlError(SqlErrorCode.type, `invalid TIMESTAMP literal '${String(node.value)}'`, pos, 'TIMESTAMP');
        return { kind: 'literal', value: ms, litType: 'timestamp', pos };
      }
      case 'date': {
        // DATE '2026-01-02' is that day's midnight UTC, as a TIMESTAMP (times are UTC throughout).
        const text = String(node.value);
        const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseIsoTime(`${text}T00:00:00Z`) ?? NaN : NaN;
        if (Number.isNaN(ms)) throw new SqlError(SqlErrorCode.type, `invalid DATE literal '${text}'`, pos, 'DATE');
        return { kind: 'literal', value: ms, litType: 'timestamp', pos };
      }
      case 'interval': return this.interval(node, pos);
      case 'column_ref': return this.column(node, pos, parent);
      case 'star': return { kind: 'star', pos };
      case 'unary_expr': {
        const op = String(node.operator).toUpperCase();
        if (op !== '-' && op !== '+' && op !== 'NOT') throw new SqlError(SqlErrorCode.unsupported, `operator ${op} is not supported`, pos, op);
        return { kind: 'unary', op, operand: sub(node.expr), pos };
      }
      case 'binary_expr': return this.binary(node, pos, sub);
      case 'case': return this.caseExpr(node, pos, sub);
      case 'cast': return this.cast(node, pos, sub);
      case 'extract': {
        const args = isObj(node.args) ? node.args : {};
        // MILLENNIUM is parse.ts's stand-in for MILLISECOND (the user's own is refused there).
        const field = String(args.field).toUpperCase();
        return { kind: 'extract', field: field === 'MILLENNIUM' ? 'MILLISECOND' : field, operand: sub(args.source), pos };
      }
      case 'aggr_func': case 'function': {
        // Some calls (e.g. COUNT(*)) carry no location: find the name after the enclosing node.
        const written = isObj(node.name) && Array.isArray(node.name.name) && isObj(node.name.name[0]) ? String(node.name.name[0].value) : String(node.name);
        const at = pos === parent ? findWord(this.sql, written.replace(/__D$/i, ''), parent.offset, parent) : pos;
        return this.call(node, at, (n: unknown): Expr => this.expr(n, at, depth + 1));
      }
      case 'expr_list': throw new SqlError(SqlErrorCode.unsupported, 'a parenthesised list is only allowed after IN', pos, 'list');
      default:
        throw new SqlError(SqlErrorCode.unsupported, `unsupported expression ${String(node.type ?? node.value)}`, pos, String(node.type));
    }
  }

  // A number the parser already rounded (`-9007199254740995` arrives as -9007199254740996): its text.
  private exactText(value: unknown): unknown {
    if (typeof value !== 'number' || !Number.isInteger(value) || Number.isSafeInteger(value)) return value;
    this.bigNegatives ??= scanSql(this.sql).filter((x) => x.kind === 'code').flatMap((x) => [...this.sql.slice(x.start, x.end).matchAll(/-\d{16,}/g)].map((m) => m[0]));
    const i = this.bigNegatives.findIndex((text) => Number(text) === value);
    return i < 0 ? value : this.bigNegatives.splice(i, 1)[0];
  }

  number(value: unknown, pos: Pos): Expr {
    const text = String(value);
    // Integers past 2^53 keep their digits (a BigInt when bound); 0.5 is an exact DECIMAL as in SQL
    // (its digits as written); 1e3 is a DOUBLE.
    if (/^-?\d+$/.test(text)) return { kind: 'literal', value: Number.isSafeInteger(Number(text)) ? Number(text) : text, litType: 'integer', pos };
    if (/[eE]/.test(text)) return { kind: 'literal', value: Number(text), litType: 'double', pos };
    return { kind: 'literal', value: text, litType: 'decimal', pos };
  }

  interval(node: Loose, pos: Pos): Expr {
    const inner = isObj(node.expr) ? String(node.expr.value) : String(node.expr);
    const text = `${inner} ${str(node.unit) ?? ''}`.trim();
    const ms = parseInterval(text);
    if (ms === undefined) throw new SqlError(SqlErrorCode.unsupported, `unsupported INTERVAL '${text}' (use milliseconds to days)`, pos, 'INTERVAL');
    return { kind: 'interval', ms, text, pos };
  }

  column(node: Loose, pos: Pos, parent: Pos): Expr {
    const parts: Ident[] = [];
    const quotedInText = (name: string): boolean => this.sql.includes(`"${name}"`);
    for (const key of ['db', 'schema', 'table'] as const) {
      const v = str(node[key]);
      if (v) parts.push({ name: v, quoted: quotedInText(v) });
    }
    const col = isObj(node.column) ? node.column.expr : node.column;
    const flatten = (c: unknown): void => {
      if (typeof c === 'string') parts.push({ name: c, quoted: false });
      else if (isObj(c) && c.type === 'binary_expr' && c.operator === '.') {
        flatten(c.left);
        flatten(c.right);
      } else if (isObj(c)) parts.push({ name: String(c.value), quoted: c.type === 'double_quote_string' || c.type === 'backticks_quote_string' });
    };
    flatten(col);
    const first = parts[0];
    if (first === undefined) throw new SqlError(SqlErrorCode.unsupported, 'unsupported column reference', pos, 'column');
    if (first.name === '*') return { kind: 'star', pos };
    const at = pos === parent ? findWord(this.sql, first.name, parent.offset, parent) : pos;
    let expr: Expr = { kind: 'column', path: parts, pos: at };
    // arr[i]: SQL subscripts count from 1; a constant subscript reads that element (0-based `->`).
    const subscripts = Array.isArray(node.array_index) ? (node.array_index as unknown[]) : [];
    for (const s of subscripts) {
      const index = isObj(s) && isObj(s.index) ? s.index : undefined;
      if (index?.type !== 'number' || !Number.isInteger(Number(index.value))) {
        throw new SqlError(SqlErrorCode.unsupported, 'an array subscript must be an integer constant, such as arr[1]', at, 'subscript');
      }
      const i = Number(index.value);
      // SQL arrays have no element 0 or negative elements: such a subscript is NULL.
      const key: Expr = i >= 1 ? { kind: 'literal', value: i - 1, litType: 'integer', pos: at } : { kind: 'literal', value: 'no such element', litType: 'varchar', pos: at };
      expr = { kind: 'json', op: '->', operand: expr, key, pos: at };
    }
    return expr;
  }

  binary(node: Loose, pos: Pos, sub: (n: unknown) => Expr): Expr {
    const op = String(node.operator).toUpperCase();
    const list = (): Expr[] => (isObj(node.right) && Array.isArray(node.right.value) ? node.right.value.map(sub) : [sub(node.right)]);
    switch (op) {
      case 'IN': case 'NOT IN': return { kind: 'in', operand: sub(node.left), list: list(), negated: op === 'NOT IN', pos };
      case 'BETWEEN': case 'NOT BETWEEN': {
        const [low, high] = list();
        if (!low || !high) throw new SqlError(SqlErrorCode.syntax, 'BETWEEN needs two bounds', pos, 'BETWEEN');
        return { kind: 'between', operand: sub(node.left), low, high, negated: op === 'NOT BETWEEN', pos };
      }
      case 'LIKE': case 'NOT LIKE': case 'ILIKE': case 'NOT ILIKE':
      {
        const like: Expr = { kind: 'like', operand: sub(node.left), pattern: sub(node.right), negated: op.startsWith('NOT'), caseInsensitive: op.endsWith('ILIKE'), pos };
        const esc = isObj(node.right) && isObj(node.right.escape) && isObj(node.right.escape.value) ? node.right.escape.value : undefined;
        if (esc !== undefined) {
          if (esc.type !== 'single_quote_string' && esc.type !== 'string') throw new SqlError(SqlErrorCode.unsupported, 'ESCAPE needs a text literal', pos, 'ESCAPE');
          like.escape = String(esc.value).replace(/''/g, "'").replaceAll(BACKSLASH_STAND_IN, '\\');
        }
        return like;
      }
      case 'IS': case 'IS NOT': {
        const r = isObj(node.right) ? node.right : {};
        const target = r.type === 'null' ? 'null' : r.type === 'bool' ? (r.value === true ? 'true' : 'false') : undefined;
        if (target === undefined) throw new SqlError(SqlErrorCode.unsupported, 'IS is only supported with NULL, TRUE or FALSE', pos, 'IS');
        return { kind: 'is', operand: sub(node.left), target, negated: op === 'IS NOT', pos };
      }
      case '->': case '->>': return { kind: 'json', op, operand: sub(node.left), key: sub(node.right), pos };
      case '!=': return { kind: 'binary', op: '<>', left: sub(node.left), right: sub(node.right), pos };
      // Stand-ins parse.ts writes for IS [NOT] DISTINCT FROM (a `~` of the user's is refused there).
      case '~': return { kind: 'binary', op: 'IS NOT DISTINCT FROM', left: sub(node.left), right: sub(node.right), pos };
      case '!~': return { kind: 'binary', op: 'IS DISTINCT FROM', left: sub(node.left), right: sub(node.right), pos };
      default:
        if ((binaryOps as readonly string[]).includes(op)) return { kind: 'binary', op: op as BinaryOp, left: sub(node.left), right: sub(node.right), pos };
        throw new SqlError(SqlErrorCode.unsupported, `operator ${op} is not supported`, pos, op);
    }
  }

  caseExpr(node: Loose, pos: Pos, sub: (n: unknown) => Expr): Expr {
    const whens: { when: Expr; then: Expr }[] = [];
    let otherwise: Expr | undefined;
    for (const a of Array.isArray(node.args) ? node.args : []) {
      if (!isObj(a)) continue;
      if (a.type === 'when') whens.push({ when: sub(a.cond), then: sub(a.result) });
      else otherwise = sub(a.result);
    }
    return { kind: 'case', subject: node.expr ? sub(node.expr) : undefined, whens, otherwise, pos };
  }

  cast(node: Loose, pos: Pos, sub: (n: unknown) => Expr): Expr {
    const t = Array.isArray(node.target) && isObj(node.target[0]) ? node.target[0] : {};
    const name = String(t.dataType).toUpperCase();
    const target = castTargets[name];
    if (target === undefined) throw new SqlError(SqlErrorCode.type, `CAST to ${name} is not supported`, pos, 'CAST');
    const bits = integerBits[name];
    return { kind: 'cast', operand: sub(node.expr), target, precision: typeof t.length === 'number' ? t.length : undefined, scale: typeof t.scale === 'number' ? t.scale : undefined, ...(bits ? { bits } : {}), pos };
  }

  /**
   * POSITION(x IN s) is STRPOS(s, x); TRIM([BOTH | LEADING | TRAILING] [chars] FROM s) is TRIM,
   * LTRIM or RTRIM of (s, chars); TIMESTAMPDIFF(unit, a, b) takes its unit as a word.
   */
  private keywordForm(name: string, raw: unknown[], pos: Pos, sub: (n: unknown) => Expr): Expr | undefined {
    const call = (fn: string, args: Expr[]): Expr => ({ kind: 'call', name: fn, args, distinct: false, star: false, filter: undefined, pos });
    if (name === 'POSITION' && raw.length === 3 && isKeyword(raw[1], 'IN')) return call('STRPOS', [sub(raw[2]), sub(raw[0])]);
    if (name === 'TRIM' && raw.some((n) => isKeyword(n))) {
      const side = isKeyword(raw[0], 'LEADING') ? 'LTRIM' : isKeyword(raw[0], 'TRAILING') ? 'RTRIM' : 'TRIM';
      const rest = isKeyword(raw[0], 'BOTH') || side !== 'TRIM' ? raw.slice(1) : raw;
      const from = rest.findIndex((n) => isKeyword(n, 'FROM'));
      if (from < 0 || from > 1 || from !== rest.length - 2) throw new SqlError(SqlErrorCode.syntax, 'TRIM takes ([BOTH | LEADING | TRAILING] [characters] FROM text)', pos, 'TRIM');
      const target = sub(rest[from + 1]);
      return call(side, from === 1 ? [target, sub(rest[0])] : [target]);
    }
    if (name === 'TIMESTAMPDIFF' && raw.length === 3) {
      const u = raw[0];
      const word = isObj(u) && u.type === 'column_ref' && isObj(u.column) && isObj(u.column.expr) ? String(u.column.expr.value).toUpperCase() : undefined;
      if (word === undefined || !timestampDiffUnits.includes(word)) throw new SqlError(SqlErrorCode.unsupported, `TIMESTAMPDIFF takes a unit first: ${timestampDiffUnits.join(', ')}`, pos, 'TIMESTAMPDIFF');
      return call('TIMESTAMPDIFF', [{ kind: 'literal', value: word, litType: 'varchar', pos }, sub(raw[1]), sub(raw[2])]);
    }
    return undefined;
  }

  call(node: Loose, pos: Pos, sub: (n: unknown) => Expr): Expr {
    const nameParts = isObj(node.name) && Array.isArray(node.name.name) ? node.name.name.map((p) => (isObj(p) ? String(p.value) : String(p))) : [String(node.name)];
    const written = nameParts.join('.').toUpperCase();
    const marked = written.endsWith(distinctMark);
    const name = marked ? written.slice(0, -distinctMark.length) : written;
    if (node.over) throw new SqlError(SqlErrorCode.over, `OVER windows are not supported (${name} … OVER)`, findWord(this.sql, 'OVER', pos.offset, pos), 'OVER');
    const args = isObj(node.args) ? node.args : {};
    let list: Expr[] = [];
    let star = false;
    const special = Array.isArray(args.value) ? this.keywordForm(name, args.value, pos, sub) : undefined;
    if (special) return special;
    if (args.type === 'expr_list' && Array.isArray(args.value)) list = args.value.map(sub);
    else if (args.expr !== undefined) {
      const e = sub(args.expr);
      if (e.kind === 'star') star = true;
      else list = [e];
      if (Array.isArray(args.orderby) && args.orderby.length > 0) throw new SqlError(SqlErrorCode.orderBy, `ORDER BY inside ${name} is not supported`, pos, 'ORDER BY');
    }
    // The parser reads `NOT (a OR b)` as a call of a function named NOT.
    const only = list[0];
    if (name === 'NOT' && list.length === 1 && only) return { kind: 'unary', op: 'NOT', operand: only, pos };
    const filter = isObj(node.filter) && node.filter.where ? sub(node.filter.where) : undefined;
    return { kind: 'call', name, args: list, distinct: marked || (typeof args.distinct === 'string' && args.distinct.toUpperCase() === 'DISTINCT'), star, filter, pos };
  }
}

/** The keyword forms of standard SQL calls, as the parser lists them (keywords as `origin` nodes). */
const isKeyword = (n: unknown, word?: string): boolean => isObj(n) && n.type === 'origin' && (word === undefined || String(n.value).toUpperCase() === word);

/** Units TIMESTAMPDIFF takes (its first argument is a bare word). */
export const timestampDiffUnits = ['MILLISECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'];
/** Converts a parsed statement (node-sql-parser's loose shape) into our SelectStmt. */
export function convertStatement(loose: unknown, sql: string, maxDepth: number): SelectStmt {
  return new Converter(sql, maxDepth).statement(loose);
}

/** Converts the probe `SELECT FN(col, args…) FROM x` built for a table-valued window. */
export function convertTableWindow(loose: unknown, probe: string, pos: Pos, fn: string): TableWindow {
  const stmt = new Converter(probe, 64).statement(loose);
  const call = stmt.items[0]?.expr;
  if (call?.kind !== 'call' || call.args.length < 2) throw new SqlError(SqlErrorCode.window, `malformed TABLE(${fn}(…))`, pos, fn);
  const [timeColumn, ...args] = call.args;
  if (timeColumn === undefined) throw new SqlError(SqlErrorCode.window, `malformed TABLE(${fn}(…))`, pos, fn);
  const relocate = (e: Expr): Expr => ({ ...e, pos });
  return { fn, timeColumn: relocate(timeColumn), args: args.map(relocate), pos };
}
