// The backfill phase of a task whose query starts from the archive: the partition's archived
// entries after the checkpoint's offset and up to the group's start id, in id order and in batches
// shaped like stream reads, so they go through the same apply and commit as live entries.
import { compareIds, idBefore } from './entry-id.js';
import { hourOf, listFiles, type ArchiveFile } from './layout.js';
import { readEntries, type ArchivedEntry } from './parquet-file.js';
import type { ArchiveStart } from './archive-start.js';

export class ArchiveBackfill {
  private files: ArchiveFile[] | undefined;
  private buffer: ArchivedEntry[] = [];
  /** The last id handed out: later files and rows at or before it are skipped (readers dedupe by id). */
  private last: string;
  /** The last id put in the buffer: files that overlap (a writer that lost its lock) are read once. */
  private queued: string;

  constructor(
    private readonly root: string,
    private readonly stream: string,
    private readonly partition: number,
    /** The last archived id to read: the group delivers what follows. */
    readonly until: string,
    private readonly fromMs: number | undefined,
    after: string | undefined,
    private readonly batchSize: number,
  ) {
    const floor = fromMs === undefined ? '0-0' : idBefore(fromMs);
    this.last = after !== undefined && compareIds(after, floor) > 0 ? after : floor;
    this.queued = this.last;
  }

  /** The next batch; empty once every archived entry up to `until` has been handed out. */
  async next(): Promise<ArchivedEntry[]> {
    this.files ??= (await listFiles(this.root, this.stream, this.partition, this.fromMs === undefined ? undefined : hourOf(idBefore(this.fromMs + 1)))).filter(
      (f) => compareIds(f.lastId, this.last) > 0 && compareIds(f.firstId, this.until) <= 0,
    );
    while (this.buffer.length < this.batchSize && this.files.length > 0) {
      const file = this.files.shift()!;
      for (const e of await readEntries(file.path)) {
        if (compareIds(e.id, this.queued) > 0 && compareIds(e.id, this.until) <= 0) {
          this.buffer.push(e);
          this.queued = e.id;
        }
      }
    }
    const batch = this.buffer.splice(0, this.batchSize);
    if (batch.length > 0) this.last = batch[batch.length - 1]!.id;
    return batch;
  }
}

/** The backfill a task still owes after its checkpoint at `offset`, or undefined when it has none. */
export function backfillFor(start: ArchiveStart | undefined, root: string | undefined, stream: string, partition: number, offset: string | undefined, batchSize: number): ArchiveBackfill | undefined {
  const until = start?.until[partition];
  if (!start || until === undefined || until === '0-0') return undefined;
  if (offset !== undefined && compareIds(offset, until) >= 0) return undefined;
  if (root === undefined) throw new Error(`the query starts from the archive, but this process has no ARCHIVE_DIR to read it from`);
  return new ArchiveBackfill(root, stream, partition, until, start.fromMs, offset, batchSize);
}
