// Where a stream's partitions live on a Redis Cluster. A partition's keys share one hash tag, so
// its slot is CRC16 of the tag; `{orders#0}` … `{orders#7}` differ in one character and their
// slots bunch together (on 8 equal primaries, 8 partitions landed on 4). Each partition's tag is
// chosen once, when the stream's partition count is set, so that the slots are evenly spaced
// around the slot ring, and stored in the stream config: keys never move afterwards.
import calculateSlot from 'cluster-key-slot';

const SLOTS = 16384;

/** One partition of a stream and the hash tag every one of its keys carries. */
export interface PartitionRef {
  stream: string;
  partition: number;
  tag: string;
  /** An adopted stream's Redis key (src/sources/adopted-stream.ts): read instead of our events key. */
  source?: string;
}

/** The tag of 1-partition streams and of streams configured before placement. */
export function plainTag(stream: string, partition: number): string {
  return `{${stream}#${partition}}`;
}

/** The slot a hash tag maps to. */
export function tagSlot(tag: string): number {
  return calculateSlot(tag);
}

/**
 * Tags for `partitions` partitions whose slots sit near the middle of each of `partitions` equal
 * slices of the slot ring (partition p near (p + ½) × 16384 / partitions), so that on primaries
 * holding equal slot ranges — what a cluster gets when slots are split evenly — the partitions
 * spread as evenly as the counts allow. Partition p tries `{stream#p}`, then `{stream#p~1}`,
 * `{stream#p~2}`, … (deterministic: every process computes the same tags).
 */
export function spreadTags(stream: string, partitions: number): string[] {
  const slice = SLOTS / partitions;
  // Within an eighth of a slice either side of the middle: never near a slice's edge.
  const reach = Math.max(1, Math.floor(slice / 8));
  const tags: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const target = Math.floor((p + 0.5) * slice);
    for (let n = 0; ; n++) {
      const tag = n === 0 ? plainTag(stream, p) : `{${stream}#${p}~${n}}`;
      if (Math.abs(tagSlot(tag) - target) <= reach) {
        tags.push(tag);
        break;
      }
    }
  }
  return tags;
}

/** Partition `partition` of a stream whose config holds `tags` (absent: configured before placement). */
export function partitionRef(stream: string, tags: readonly string[] | undefined, partition: number): PartitionRef {
  return { stream, partition, tag: tags?.[partition] ?? plainTag(stream, partition) };
}

/**
 * The hash tag Redis hashes `key` by: the text between the first `{` and the first `}` after it,
 * when not empty (with its braces); undefined when the whole key is hashed.
 */
export function keyTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open, close + 1) : undefined;
}

const sameSlotTags = new Map<string, string>();

/**
 * A tag `{base~n}` whose slot is the slot of `key` (a key we do not name, such as an adopted
 * stream's): keys built with it share that key's slot, so one script may touch both. About 16,384
 * CRC16s on average (a few ms); deterministic, so every process finds the same tag.
 */
export function tagInSlotOf(base: string, key: string): string {
  const memo = `${base}\n${key}`;
  const known = sameSlotTags.get(memo);
  if (known) return known;
  const slot = calculateSlot(key);
  // Each try hits with probability 1/16384: missing 2,000,000 in a row has odds below e^-120.
  for (let n = 1; n <= 2_000_000; n++) {
    const tag = `{${base}~${n}}`;
    if (tagSlot(tag) !== slot) continue;
    if (sameSlotTags.size >= 1_000) sameSlotTags.clear();
    sameSlotTags.set(memo, tag);
    return tag;
  }
  throw new Error(`no tag {${base}~n} found in slot ${slot}`);
}
