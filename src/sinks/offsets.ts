// Comparing query offsets (one changes-stream id per partition): what a sink already holds.
import { compareIds } from '../util/stream-ids.js';

function parts(offset: string): string[] {
  return offset.split(',');
}

/** True when every partition's id in `a` is at or before the one in `b`: `b` includes `a`. */
export function coveredBy(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  const pa = parts(a);
  const pb = parts(b);
  return pa.length === pb.length && pa.every((id, i) => compareIds(id, pb[i]!) <= 0);
}

/** Partition by partition, the later id of the two. */
export function laterOf(a: string, b: string | undefined): string {
  if (b === undefined) return a;
  const pb = parts(b);
  return parts(a).map((id, i) => (compareIds(id, pb[i] ?? '0-0') >= 0 ? id : pb[i]!)).join(',');
}
