// Rows as a text table that fits a terminal: columns sized to their content, shrunk (widest
// first) when the line would be wider than the terminal, cells cut with an ellipsis.

export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function fit(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]/g, ' ');
  return flat.length <= width ? flat.padEnd(width) : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

const GAP = '  ';
const MIN_WIDTH = 3;

/** The table's lines: header, rule, then rows. Numbers are right-aligned. */
export function renderTable(columns: string[], rows: Record<string, unknown>[], maxWidth = Infinity): string[] {
  const texts = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...texts.map((t) => t[i]!.length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'));
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * Math.max(0, widths.length - 1);
  while (total() > maxWidth) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= MIN_WIDTH) break;
    widths[widest]!--;
  }
  const line = (cells: string[], alignRight: boolean) =>
    cells
      .map((t, i) => {
        const w = widths[i]!;
        return alignRight && numeric[i] && t.length <= w ? t.padStart(w) : fit(t, w);
      })
      .join(GAP)
      .trimEnd();
  return [line(columns, false), widths.map((w) => '-'.repeat(w)).join(GAP), ...texts.map((t) => line(t, true))].map((l) => (l.length > maxWidth ? l.slice(0, maxWidth) : l));
}
