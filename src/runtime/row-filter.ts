// Row filters of results, pull and push alike: `col:value` equality or `col<op>value` comparisons, comma-separated.
import type { Row } from '../engine/index.js';

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface Condition {
  column: string;
  op: FilterOp;
  value: string;
}

/** A conjunction of conditions over output columns; an empty list keeps every row. */
export type RowFilter = readonly Condition[];

const CONDITION = /^([^:<>=!]+)(:|!=|<=|>=|=|<|>)(.*)$/s;

/** Parses `region:eu,n>=10`; throws an Error naming the bad part. */
export function parseFilter(text: string | undefined): RowFilter {
  if (!text) return [];
  return text.split(',').map((part) => {
    const m = CONDITION.exec(part.trim());
    if (!m) throw new Error(`"${part}" is not col:value or col<op>value (op one of = != < <= > >=)`);
    const op = m[2] === ':' ? '=' : (m[2] as FilterOp);
    return { column: m[1]!.trim(), op, value: m[3]! };
  });
}

function text(v: unknown): string {
  // Rows hold JSON values only (big integers are already decimal strings).
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function holds(c: Condition, v: unknown): boolean {
  // A missing column or SQL NULL passes no comparison (like WHERE), but `col:null` matches a null group.
  if (v === undefined) return false;
  if (v === null) return c.op === '=' ? c.value === 'null' : false;
  const num = Number(c.value);
  const cmp =
    typeof v === 'number' && c.value.trim() !== '' && Number.isFinite(num)
      ? v - num
      : text(v) < c.value ? -1 : text(v) > c.value ? 1 : 0;
  switch (c.op) {
    case '=': return cmp === 0;
    case '!=': return cmp !== 0;
    case '<': return cmp < 0;
    case '<=': return cmp <= 0;
    case '>': return cmp > 0;
    case '>=': return cmp >= 0;
  }
}

/** True when the row satisfies every condition. */
export function matches(filter: RowFilter, row: Row): boolean {
  for (const c of filter) if (!holds(c, row[c.column])) return false;
  return true;
}
