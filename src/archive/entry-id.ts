// Redis Stream entry ids ("<ms>-<seq>") compared as numbers: as text, "9-0" would sort after "10-0".

export function parseId(id: string): [bigint, bigint] {
  const dash = id.indexOf('-');
  return dash === -1 ? [BigInt(id), 0n] : [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}

/** Negative, zero or positive as a is before, equal to or after b. */
export function compareIds(a: string, b: string): number {
  const [am, as] = parseId(a);
  const [bm, bs] = parseId(b);
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

export function maxId(a: string, b: string): string {
  return compareIds(a, b) >= 0 ? a : b;
}

/** The entry id's milliseconds: when Redis appended it (arrival). */
export function idMs(id: string): number {
  return Number(parseId(id)[0]);
}

/** The largest id before every entry that arrived at `ms` or later. */
export function idBefore(ms: number): string {
  return ms <= 0 ? '0-0' : `${ms - 1}-18446744073709551615`;
}
