// How numbers, times and cells read in tables.

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

export function num(v: number | null | undefined, digits: 'int' | 'dec' = 'int'): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return (digits === 'int' ? integer : decimal).format(v);
}

export function time(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');
}

export function cell(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : decimal.format(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v) ?? '';
}

/** Epoch milliseconds of a window bound as results carry it (ISO text or a number), else NaN. */
export function epochMs(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}
