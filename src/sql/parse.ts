// SQL text → our SelectStmt: the only importer of node-sql-parser; guards length and nesting first.
import sqlParser from 'node-sql-parser';
import type { SelectStmt, TableWindow } from './ast.js';
import { convertStatement, convertTableWindow } from './convert.js';
import { SqlError, SqlErrorCode } from './errors.js';
import { posAt } from './position.js';
import { BACKSLASH_STAND_IN, QUOTE_STAND_IN, mapCode, restoreQuotes, scanSql, standInBackslashes } from './scan.js';

const { Parser } = sqlParser;
const parser = new Parser();
const dialect = { database: 'PostgresQL', parseOptions: { includeLocations: true } };

/** Limits applied before the parser sees the text, so hostile input cannot overflow its stack. */
export interface ParseLimits {
  maxLength: number;
  maxDepth: number;
}

export const defaultParseLimits: ParseLimits = { maxLength: 16_384, maxDepth: 32 };

/** Parses one SELECT statement into our typed tree, or throws SqlError. */
export function parseSql(sql: string, limits: ParseLimits = defaultParseLimits): SelectStmt {
  if (sql.length > limits.maxLength) {
    throw new SqlError(SqlErrorCode.tooLong, `SQL text is ${sql.length} characters, over the limit of ${limits.maxLength}`, posAt(sql, limits.maxLength), 'length');
  }
  for (const c of [BACKSLASH_STAND_IN, QUOTE_STAND_IN]) {
    if (sql.includes(c)) throw new SqlError(SqlErrorCode.syntax, `the noncharacter U+${c.charCodeAt(0).toString(16).toUpperCase()} is not accepted in SQL text`, posAt(sql, sql.indexOf(c)), 'syntax');
  }
  checkNesting(sql, limits.maxDepth);
  const { text, window } = extractTableWindow(intervalUnits(standInBackslashes(sql)));
  const loose = restoreQuotes(astify(extractMillisecond(distinctFrom(standardForms(markDistinct(text)))), sql));
  const stmt = convertStatement(loose, sql, limits.maxDepth * 4);
  if (window !== undefined) stmt.tableWindow = window;
  return stmt;
}

function astify(text: string, original: string): unknown {
  try {
    return parser.astify(text, dialect);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new SqlError(SqlErrorCode.tooDeep, 'SQL is nested too deeply', posAt(original, 0), 'nesting', { cause: err });
    }
    const loc = (err as { location?: { start?: { line?: number; column?: number } } }).location?.start;
    const detail = err instanceof Error ? err.message.replace(/^Expected .* but /, 'unexpected ').slice(0, 120) : 'invalid SQL';
    const pos = loc?.line !== undefined && loc.column !== undefined ? { line: loc.line, column: loc.column } : undefined;
    throw new SqlError(SqlErrorCode.syntax, `syntax error: ${detail}`, pos, 'syntax', { cause: err });
  }
}

// Parenthesis depth is what drives the parser's recursion; strings, identifiers and comments do not count.
function checkNesting(sql: string, maxDepth: number): void {
  let depth = 0;
  for (const seg of scanSql(sql)) {
    if (seg.kind !== 'code') continue;
    for (let i = seg.start; i < seg.end; i++) {
      const c = sql[i];
      if (c === '(') {
        depth++;
        if (depth > maxDepth) throw new SqlError(SqlErrorCode.tooDeep, `SQL is nested more than ${maxDepth} levels deep`, posAt(sql, i), 'nesting');
      } else if (c === ')') depth--;
    }
  }
}

// The parser accepts DISTINCT only inside a few aggregates (COUNT, ARRAY_AGG, STRING_AGG), so for the
// others `F(DISTINCT` becomes `F__D(` padded to the same length (positions stay right); convert.ts
// turns the suffix back into a DISTINCT flag. Such a call cannot take FILTER: the parser refuses it.
const nativeDistinct = new Set(['COUNT', 'ARRAY_AGG', 'STRING_AGG']);
function markDistinct(sql: string): string {
  return mapCode(sql, (code) =>
    code.replace(/\b([A-Za-z_][\w$]*)(\s*\(\s*DISTINCT\b)/gi, (whole: string, name: string) => {
      if (nativeDistinct.has(name.toUpperCase())) return whole;
      const marked = `${name}${distinctSuffix}(`;
      return marked + ' '.repeat(Math.max(0, whole.length - marked.length));
    }),
  );
}

// The parser knows `INTERVAL '1' SECOND` but not MILLISECOND: `INTERVAL '7000' MILLISECOND` becomes
// `INTERVAL '7000 MILLISECOND'` (the quote moves; the length and every position stay the same).
// Nor field ranges: `INTERVAL '1:30' MINUTE TO SECOND` becomes `INTERVAL '1:30 MINUTE TO SECOND'`.
const unitsAfterQuote = /^(\s+)(MILLISECONDS?)\b/i;
const rangeAfterQuote = /^\s+(?:DAY|HOUR|MINUTE)\s+TO\s+(?:HOUR|MINUTE|SECOND)\b/i;
function intervalUnits(sql: string): string {
  const segs = scanSql(sql);
  let out = '';
  let skip = 0;
  segs.forEach((seg, i) => {
    let part = sql.slice(seg.start + skip, seg.end);
    skip = 0;
    const before = segs[i - 1];
    const after = segs[i + 1];
    if (seg.kind === 'string' && before?.kind === 'code' && after?.kind === 'code' && /\bINTERVAL\s*$/i.test(sql.slice(before.start, before.end))) {
      const following = sql.slice(after.start, after.end);
      const range = rangeAfterQuote.exec(following);
      const m = range ? null : unitsAfterQuote.exec(following);
      if (range) {
        part = `${part.slice(0, -1)}${keepColumns(range[0])}'`;
        skip = range[0].length;
      } else if (m) {
        const [whole, space = ' ', unit = ''] = m;
        part = `${part.slice(0, -1)} ${unit}'${' '.repeat(space.length - 1)}`;
        skip = whole.length;
      }
    }
    out += part;
  });
  return out;
}

/**
 * The field range moves inside the literal, so the literal's closing quote moves after it. On one
 * line that keeps every position; across lines the quote's old place becomes a blank and one
 * spare blank of the last line goes, so the columns after it stay right too (when that line has
 * no spare blank, they are one column off).
 */
function keepColumns(range: string): string {
  const nl = range.lastIndexOf('\n');
  if (nl < 0) return range;
  const last = range.slice(nl + 1);
  const spare = /^[ \t]|[ \t](?=[ \t])/.exec(last);
  if (!spare) return range;
  return ' ' + range.slice(0, nl + 1) + last.slice(0, spare.index) + last.slice(spare.index + 1);
}

// Standard forms the parser does not know, rewritten to ones it does at the same length (positions
// stay right): TRY_CAST(x AS t) is CAST (CAST never fails here: an impossible value is NULL), and
// SUBSTRING(s FROM a FOR b) is SUBSTRING(s, a, b).
function standardForms(sql: string): string {
  let out = mapCode(sql, (code) => code.replace(/\bTRY_CAST(\s*\()/gi, (_w, open: string) => `    CAST${open}`));
  const code = scanSql(out).filter((s) => s.kind === 'code');
  for (const m of out.matchAll(/\bSUBSTRING\s*\(/gi)) {
    const open = m.index + m[0].length - 1;
    // Not the word inside a literal, identifier or comment.
    if (!code.some((s) => s.start <= m.index && open < s.end)) continue;
    const close = matchingParen(out, open);
    if (close < 0) continue;
    let depth = 0;
    const chars = [...out.slice(0, close)];
    for (const seg of scanSql(out.slice(0, close))) {
      if (seg.kind !== 'code' || seg.end <= open) continue;
      for (let i = Math.max(seg.start, open); i < seg.end; i++) {
        const c = out[i];
        if (c === '(') depth++;
        else if (c === ')') depth--;
        else if (depth === 1) {
          const word = /^(FROM|FOR)\b/i.exec(out.slice(i, i + 5));
          if (word && /\s/.test(out[i - 1] ?? '')) {
            chars[i - 1] = ',';
            for (let j = 0; j < word[1]!.length; j++) chars[i + j] = ' ';
            i += word[1]!.length - 1;
          }
        }
      }
    }
    out = chars.join('') + out.slice(close);
  }
  return out;
}

// The parser reads `a IS DISTINCT FROM b` wrongly and refuses IS NOT DISTINCT FROM, but parses
// PostgreSQL's regex operators `~` and `!~` at comparison precedence, the level the standard gives
// IS [NOT] DISTINCT FROM. So those become `~` / `!~` followed by blanks (newlines kept: positions and
// lines stay right), and convert.ts reads them back. A `~` the user wrote is refused first, so every
// `~` the parser returns is one of ours.
function distinctFrom(sql: string): string {
  for (const seg of scanSql(sql)) {
    if (seg.kind !== 'code') continue;
    const at = sql.indexOf('~', seg.start);
    if (at >= 0 && at < seg.end) throw new SqlError(SqlErrorCode.unsupported, 'operator ~ is not supported; use REGEXP_LIKE(text, pattern)', posAt(sql, at), '~');
  }
  return mapCode(sql, (code) =>
    code.replace(/\bIS\s+(NOT\s+)?DISTINCT\s+FROM\b/gi, (whole: string, not: string | undefined) => {
      const blank = whole.replace(/[^\n]/g, ' ');
      const op = not ? '~' : '!~';
      return op + blank.slice(op.length);
    }),
  );
}

// The parser knows EXTRACT(MILLISECONDS …) but not the singular DuckDB and Flink also accept. It
// becomes MILLENNIUM plus a blank (same length), a field the parser knows and we do not support, so
// convert.ts reads it back as MILLISECOND; a MILLENNIUM the user wrote is refused here.
const extractField = /\bEXTRACT(\s*\(\s*)(MILLISECOND|MILLENNIUM)\b/gi;
function extractMillisecond(sql: string): string {
  let out = sql;
  for (const seg of scanSql(sql)) {
    if (seg.kind !== 'code') continue;
    for (const m of sql.slice(seg.start, seg.end).matchAll(extractField)) {
      const at = seg.start + m.index + 'EXTRACT'.length + m[1]!.length;
      if (m[2]!.toUpperCase() === 'MILLENNIUM') throw new SqlError(SqlErrorCode.unsupported, 'EXTRACT(MILLENNIUM) is not supported', posAt(sql, at), 'EXTRACT');
      out = out.slice(0, at) + 'MILLENNIUM ' + out.slice(at + 'MILLISECOND'.length);
    }
  }
  return out;
}

/** Suffix that marks a function name written with DISTINCT. */
export const distinctSuffix = '__D';

const tableWindowStart = /\bTABLE\s*\(\s*(TUMBLE|HOP|CUMULATE|SESSION)\s*\(\s*TABLE\s+("[^"]+"|[A-Za-z_][\w$]*)\s*,\s*DESCRIPTOR\s*\(/i;

// The parser rejects Flink's table-valued window form, so it is cut out here and the
// window arguments are parsed on their own; the source is replaced by the stream name.
function extractTableWindow(sql: string): { text: string; window: TableWindow | undefined } {
  const m = tableWindowStart.exec(sql);
  if (m === null) return { text: sql, window: undefined };
  const start = m.index;
  const openIdx = sql.indexOf('(', start);
  const end = matchingParen(sql, openIdx);
  if (end < 0) return { text: sql, window: undefined };
  const fn = (m[1] ?? '').toUpperCase();
  const name = m[2] ?? '';
  const afterDescriptor = start + m[0].length;
  const descEnd = matchingParen(sql, afterDescriptor - 1);
  const fnOpen = sql.indexOf('(', openIdx + 1);
  const fnClose = matchingParen(sql, fnOpen);
  if (descEnd < 0 || fnClose < 0) return { text: sql, window: undefined };
  const timeCol = sql.slice(afterDescriptor, descEnd);
  const rest = sql.slice(descEnd + 1, fnClose).replace(/^\s*,/, '');
  const probe = `SELECT ${fn}(${timeCol}, ${rest}) FROM x`;
  const pos = posAt(sql, start);
  const loose = astify(probe, sql);
  const window = convertTableWindow(loose, probe, pos, fn);
  const span = sql.slice(start, end + 1);
  const replacement = name + span.slice(name.length).replace(/[^\n]/g, ' ');
  return { text: sql.slice(0, start) + replacement + sql.slice(end + 1), window };
}

function matchingParen(sql: string, open: number): number {
  let depth = 0;
  for (const seg of scanSql(sql)) {
    if (seg.kind !== 'code' || seg.end <= open) continue;
    for (let i = Math.max(seg.start, open); i < seg.end; i++) {
      const c = sql[i];
      if (c === '(') depth++;
      else if (c === ')') {
        depth--;
        if (depth === 0) return i;
      }
    }
  }
  return -1;
}
