// Where archive files live: ARCHIVE_DIR/<stream>/p=<partition>/hour=<UTC hour of arrival>/<firstId>-<lastId>.parquet.
// Files of one partition never overlap and, sorted by first id, hold its archived entries in id order.
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { compareIds, idMs } from './entry-id.js';

export interface ArchiveFile {
  path: string;
  firstId: string;
  lastId: string;
}

/** The folder of one partition's hour folders. */
export function partitionDir(root: string, stream: string, partition: number): string {
  return join(root, stream, `p=${partition}`);
}

/** "hour=2026-01-01T10": the UTC hour an entry with this id arrived in. */
export function hourOf(id: string): string {
  return `hour=${new Date(idMs(id)).toISOString().slice(0, 13)}`;
}

/** A file's name is its id range, so re-archiving the same range writes the same name. */
export function fileName(firstId: string, lastId: string): string {
  return `${firstId}-${lastId}.parquet`;
}

const NAME = /^(\d+-\d+)-(\d+-\d+)\.parquet$/;
/** How writeDurably names a file until it is complete. */
export const TEMP_PREFIX = '.tmp-';

/** The hour folders of one partition from `fromHour` on (every hour when undefined), in order. */
async function hourFolders(root: string, stream: string, partition: number, fromHour?: string): Promise<string[]> {
  const dir = partitionDir(root, stream, partition);
  try {
    return (await readdir(dir))
      .filter((h) => h.startsWith('hour=') && (fromHour === undefined || h >= fromHour))
      .sort()
      .map((h) => join(dir, h));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * One partition's files sorted by first id, from the hour folder `fromHour` on (every hour when
 * undefined). Temporary files of an interrupted write do not match the name pattern.
 */
export async function listFiles(root: string, stream: string, partition: number, fromHour?: string): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  for (const hour of await hourFolders(root, stream, partition, fromHour)) {
    for (const name of await readdir(hour)) {
      const m = NAME.exec(name);
      if (m) files.push({ path: join(hour, name), firstId: m[1]!, lastId: m[2]! });
    }
  }
  return files.sort((a, b) => compareIds(a.firstId, b.firstId));
}

/** The temporary files (parquet-file.ts's writeDurably) in one partition's hour folders from `fromHour` on. */
export async function listTemporary(root: string, stream: string, partition: number, fromHour?: string): Promise<string[]> {
  const paths: string[] = [];
  for (const hour of await hourFolders(root, stream, partition, fromHour)) {
    for (const name of await readdir(hour)) if (name.startsWith(TEMP_PREFIX)) paths.push(join(hour, name));
  }
  return paths;
}

/**
 * A deleted stream's archive moves aside (`<stream>~deleted-<ms>`: `~` is not in stream names), so
 * that a new stream of the same name starts from an empty archive and a query started from it never
 * reads the old one's events. The files stay for the operator.
 */
export async function retireStreamFolder(root: string, stream: string, now = Date.now()): Promise<string | undefined> {
  const from = join(root, stream);
  const to = join(root, `${stream}~deleted-${now}`);
  try {
    await rename(from, to);
    return to;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
