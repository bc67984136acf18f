// Chooses each event's partition: by partition key, else by event id, else spread by position.

/** FNV-1a: fast, stable across processes and releases (partition choice must never change). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Partition of the event at `index`. Events with neither key nor id are spread by position
 * from a seed; the seed is the Idempotency-Key when there is one, so a retry routes every
 * event to the same partition as the first attempt.
 */
export function choosePartition(
  partitions: number,
  index: number,
  seed: number,
  partitionValue: string | undefined,
  dedupeId: string | undefined,
): number {
  if (partitions === 1) return 0;
  if (partitionValue !== undefined) return fnv1a(partitionValue) % partitions;
  if (dedupeId !== undefined) return fnv1a(dedupeId) % partitions;
  return (seed + index) % partitions;
}
