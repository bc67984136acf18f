// A stream partition as the gateway places it, for tests that look at its keys: a stream created
// with N > 1 partitions gets spread tags (src/redis/placement.ts), a 1-partition stream plain ones.
import { partitionRef, spreadTags, type PartitionRef } from '../../src/redis/placement.js';

export function part(stream: string, p: number, partitions = 1): PartitionRef {
  return partitionRef(stream, partitions > 1 ? spreadTags(stream, partitions) : undefined, p);
}
