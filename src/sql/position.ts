// Offsets in SQL text → 1-based line:column, and a best-effort locator for nodes without one.
import type { Pos } from './ast.js';

/** Line and column of a character offset. */
export function posAt(sql: string, offset: number): Pos {
  const clamped = Math.max(0, Math.min(offset, sql.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (sql.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1, offset: clamped };
}

/** Position of the first whole-word, case-insensitive match of `word` at or after `from`, else `fallback`. */
export function findWord(sql: string, word: string, from: number, fallback: Pos): Pos {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[^\\w$])(${escaped})(?![\\w$])`, 'gi');
  re.lastIndex = Math.max(0, from);
  const m = re.exec(sql);
  if (m === null) return fallback;
  return posAt(sql, m.index + (m[1] ?? '').length);
}
