// Offsets of live results: a changes-stream entry id per partition, written `id0,id1,…` in partition order.

/** A Redis stream entry id, `ms-seq`. */
const ID = /^\d{1,20}-\d{1,20}$/;

/** The offset before any change: every partition at `0-0`. */
export function zeroOffset(partitions: number): string[] {
  return Array.from({ length: partitions }, () => '0-0');
}

/** The wire form: ids joined by commas, in partition order. */
export function encodeOffset(ids: readonly string[]): string {
  return ids.join(',');
}

/** Parses a wire offset for a query with `partitions` partitions; undefined when malformed. */
export function decodeOffset(text: string, partitions: number): string[] | undefined {
  const ids = text.split(',');
  if (ids.length !== partitions || !ids.every((id) => ID.test(id))) return undefined;
  // Normalised (no leading zeros) so that ids compare and echo back the way Redis writes them.
  return ids.map((id) => id.split('-').map((n) => BigInt(n).toString()).join('-'));
}
