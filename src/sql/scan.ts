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

/** Replaces backslashes inside string literals with BACKSLASH_STAND_IN. */
export function standInBackslashes(sql: string): string {
  if (!sql.includes('\\')) return sql;
  return scanSql(sql)
    .map((s) => {
      const text = sql.slice(s.start, s.end);
      return s.kind === 'string' ? text.replaceAll('\\', BACKSLASH_STAND_IN) : text;
    })
    .join('');
}
