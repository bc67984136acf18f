// A refused SQL statement shown the way compilers do: the position, the line, a caret under it.
import type { Problem } from '@streamgate/client';

export function describeSqlError(sql: string, p: Problem): string {
  const e = p.errors?.find((x) => x.line !== undefined) ?? p.errors?.[0];
  // The position is shown once, in front: the gateway's message may end with it too.
  const message = (e?.message ?? p.detail ?? p.code ?? `HTTP ${p.status}`).replace(/ at line \d+, column \d+$/, '');
  if (e?.line === undefined) return `error: ${p.code ?? p.status}: ${message}`;
  const column = e.column ?? 1;
  const text = sql.split('\n')[e.line - 1] ?? '';
  const gutter = `${e.line} | `;
  return [`error at ${e.line}:${column}: ${message}${e.code ? ` (${e.code})` : ''}`, `${gutter}${text}`, `${' '.repeat(gutter.length + Math.max(0, column - 1))}^`].join('\n');
}
