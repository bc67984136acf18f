// The live rows, newest window first; a row that just changed is briefly highlighted.
import { useRef } from 'preact/hooks';
import { cell, epochMs, time } from '../format';
import type { Row } from '../live';

const MAX_ROWS = 500;
const WINDOW_BOUNDS = new Set(['window_start', 'window_end']);

function order(a: Row, b: Row): number {
  const w = (epochMs(b.window_start) || 0) - (epochMs(a.window_start) || 0);
  return w !== 0 ? w : JSON.stringify(a).localeCompare(JSON.stringify(b));
}

export function ResultsTable({ rows, columns }: { rows: Row[]; columns: string[] }) {
  // What each row looked like at the last render, to mark the ones that changed since.
  const seen = useRef(new Map<string, string>()).current;
  const sorted = [...rows].sort(order).slice(0, MAX_ROWS);
  const idOf = (r: Row) => JSON.stringify(columns.filter((c) => typeof r[c] !== 'number').map((c) => r[c]));
  const fresh = new Set<string>();
  const next = new Map<string, string>();
  for (const r of sorted) {
    const id = idOf(r);
    const text = JSON.stringify(r);
    if (seen.size > 0 && seen.get(id) !== text) fresh.add(id);
    next.set(id, text);
  }
  seen.clear();
  for (const [k, v] of next) seen.set(k, v);

  if (rows.length === 0) return <p class="empty">No rows yet.</p>;
  return (
    <div class="table-wrap">
      <table class="grid" data-testid="results">
        <thead>
          <tr>{columns.map((c) => <th key={c}>{c}</th>)}</tr>
        </thead>
        <tbody>
          {sorted.map((r) => {
            const id = idOf(r);
            return (
              <tr key={id} class={fresh.has(id) ? 'fresh' : undefined}>
                {columns.map((c) => (
                  <td key={c} class={typeof r[c] === 'number' ? 'num' : WINDOW_BOUNDS.has(c) ? 'mono' : undefined}>
                    {WINDOW_BOUNDS.has(c) ? time(r[c] as string) : cell(r[c])}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length > MAX_ROWS && <p class="muted small">Showing the newest {MAX_ROWS} of {rows.length} rows.</p>}
    </div>
  );
}
