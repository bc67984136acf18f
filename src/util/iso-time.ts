// ISO-8601 date-times to epoch milliseconds, strictly: no impossible dates (2026-02-30), offsets as
// ±hh, ±hhmm or ±hh:mm, no offset read as UTC. One reader for ingest, SQL literals and expressions.

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const daysIn = (y: number, m: number): number => (m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

/** Epoch milliseconds of an ISO-8601 date or date-time, or undefined when it is not a real one. */
export function parseIsoTime(text: string): number | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [h, mi, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  const oh = Number(m[10] ?? 0);
  const om = Number(m[11] ?? 0);
  if (oh > 23 || om > 59) return undefined;
  // Milliseconds: further digits are truncated (the contract's resolution).
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  // Date.UTC reads years 0..99 as 1900..1999.
  date.setUTCFullYear(y);
  const offset = (oh * 60 + om) * (m[9] === '-' ? -1 : 1);
  return date.getTime() - offset * 60_000;
}
