// One scanner for the passes that read SQL text before the parser does: it knows string literals
// ('' is the only escape, as standard SQL: a backslash is a character), quoted identifiers ("" inside)
// and comments (-- to the end of the line, /* … */), so no pass counts or rewrites text inside them.

export type SegmentKind = 'code' | 'string' | 'ident' | 'comment';

export interface Segment {
  kind: SegmentKind;
  /** Offsets in the text; a string or identifier segment includes its quotes. */
  start: number;
  end: number;
}

/** Splits SQL text into code, string literals, quoted identifiers and comments, in order. */
export function scanSql(sql: string): Segment[] {
  const out: Segment[] = [];
  let codeStart = 0;
  const flush = (to: number) => {
    if (to > codeStart) out.push({ kind: 'code', start: codeStart, end: to });
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    let kind: SegmentKind | undefined;
    let end = i;
    if (c === "'" || c === '"') {
      kind = c === "'" ? 'string' : 'ident';
      end = i + 1;
      for (;;) {
        const at = sql.indexOf(c, end);
        if (at < 0) {
          end = sql.length;
          break;
        }
        // A doubled quote is the quote character itself.
        if (sql[at + 1] === c) {
          end = at + 2;
          continue;
        }
        end = at + 1;
        break;
      }
    } else if (c === '-' && sql[i + 1] === '-') {
      kind = 'comment';
      const nl = sql.indexOf('\n', i);
      end = nl < 0 ? sql.length : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      kind = 'comment';
      const close = sql.indexOf('*/', i + 2);
      end = close < 0 ? sql.length : close + 2;
    }
    if (kind === undefined) {
      i++;
      continue;
    }
    flush(i);
    out.push({ kind, start: i, end });
    i = end;
    codeStart = end;
  }
  flush(sql.length);
  return out;
}

/** Rewrites only the code segments of `sql` with `fn`, leaving literals, identifiers and comments as they are. */
export function mapCode(sql: string, fn: (code: string) => string): string {
  return scanSql(sql)
    .map((s) => (s.kind === 'code' ? fn(sql.slice(s.start, s.end)) : sql.slice(s.start, s.end)))
    .join('');
}

/**
 * The parser reads a backslash in a string literal as an escape; standard SQL does not. Inside
 * string literals each backslash becomes this noncharacter (same length, so positions stay right),
 * and convert.ts turns it back into a backslash.
 */
export const BACKSLASH_STAND_IN = '\uFDD0';

/**
 * The parser cannot read a doubled quote inside a quoted identifier (`"a""b"`, the identifier
 * a"b): each `""` inside one becomes two of these noncharacters (same length), turned back into
 * one quote once parsed (`restoreQuotes`).
 */
export const QUOTE_STAND_IN = '\uFDD1';

/** Backslashes in string literals and doubled quotes in quoted identifiers, stood in for. */
export function standInBackslashes(sql: string): string {
  if (!sql.includes('\\') && !sql.includes('""')) return sql;
  return scanSql(sql)
    .map((s) => {
      const text = sql.slice(s.start, s.end);
      if (s.kind === 'string') return text.replaceAll('\\', BACKSLASH_STAND_IN);
      if (s.kind === 'ident' && text.startsWith('"') && text.length > 2) return `"${text.slice(1, -1).replaceAll('""', QUOTE_STAND_IN + QUOTE_STAND_IN)}"`;
      return text;
    })
    .join('');
}

/** Every string in the parser's tree with its stood-in doubled quotes back as one quote. */
export function restoreQuotes(node: unknown): unknown {
  const pair = QUOTE_STAND_IN + QUOTE_STAND_IN;
  if (typeof node === 'string') return node.includes(pair) ? node.replaceAll(pair, '"') : node;
  if (Array.isArray(node)) return node.map(restoreQuotes);
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = restoreQuotes(v);
    return out;
  }
  return node;
}
