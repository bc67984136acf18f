// One archive file: the entries of one partition and hour, written durably (temp name, fsync,
// rename, fsync of the folder) so that a file under its final name is always complete.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parquetReadObjects } from 'hyparquet';
import { TEMP_PREFIX } from './layout.js';

/** A stream entry as ingest wrote it: `e` event JSON, `t` event time (ms), `a` arrival (ms). */
export interface ArchivedEntry {
  id: string;
  message: Record<string, string>;
}

function timeOf(value: string | undefined, fallback: number): Date {
  const n = Number(value);
  return new Date(Number.isFinite(n) ? n : fallback);
}

/** The Parquet bytes of entries (in id order): id, event_time, arrival_time, event, partition. */
export function encodeEntries(entries: ArchivedEntry[], partition: number): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: entries.map((e) => e.id), type: 'STRING' },
      { name: 'event_time', data: entries.map((e) => timeOf(e.message.t, Number(e.id.split('-')[0]))), type: 'TIMESTAMP' },
      { name: 'arrival_time', data: entries.map((e) => timeOf(e.message.a, Number(e.id.split('-')[0]))), type: 'TIMESTAMP' },
      { name: 'event', data: entries.map((e) => e.message.e ?? 'null'), type: 'STRING' },
      { name: 'partition', data: entries.map(() => partition), type: 'INT32' },
    ],
  });
  return new Uint8Array(buffer);
}

/** Writes `bytes` to `path` so that it appears whole or not at all, and survives a power cut once this returns. */
export async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
  const file = await open(temp, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** The entries of one archive file, in the shape the task runner reads from a stream. */
export async function readEntries(path: string): Promise<ArchivedEntry[]> {
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const rows = (await parquetReadObjects({ file, columns: ['id', 'event_time', 'arrival_time', 'event'] })) as { id: string; event_time: Date; arrival_time: Date; event: string }[];
  return rows.map((r) => ({ id: r.id, message: { e: r.event, t: String(r.event_time.getTime()), a: String(r.arrival_time.getTime()) } }));
}
