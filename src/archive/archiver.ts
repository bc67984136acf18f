// Writes each archived stream's entries past its retention to Parquet files before the retention
// worker trims them, and tells the trim how far it may go: to the last archived id, no further.
//
// Crash safety: a file is written under a temporary name, fsynced and renamed (a file under its
// final name is complete), and only then is the partition's high-water id moved (archive-mark.lua,
// under the partition's archive lock). The trim never passes the high-water id, so an entry leaves
// the stream only after its file is durable. A crash after the rename but before the mark leaves an
// orphan file past the high-water id: the next holder of the lock deletes such files and archives
// the range again, so a range is never in two files and nothing is lost. A crash mid-write leaves a
// temporary file, which the next holder of the lock deletes too.
//
// Encoding and writing run in a worker thread (archive-encoder.ts): the encoder is synchronous and
// would otherwise stall the event loop for the length of each file.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from '../redis/client.js';
import { callFunction } from '../redis/functions.js';
import { keys } from '../redis/keys.js';
import { streamPartition, type StreamConfig } from '../streams/stream-config.js';
import type { Log } from '../util/logger.js';
import { sleep } from '../util/sleep.js';
import { compareIds } from './entry-id.js';
import { fileName, hourOf, listFiles, listTemporary, partitionDir } from './layout.js';
import type { ArchivedEntry } from './parquet-file.js';
import { ArchiveEncoder } from './archive-encoder.js';

/**
 * Renewed at every mark (a file of FILE_ROWS takes well under a second), so it only needs to cover
 * one file; it is also how long archiving of a partition waits after its archiver died.
 */
const LOCK_TTL_MS = 10_000;
/** Rows per file at most: bounds what one file holds in memory, twice over (the entries are copied to the worker thread). */
const FILE_ROWS = 20_000;
/** Entries archived per partition per pass: the rest waits for the next pass. */
const PASS_ENTRIES = 200_000;
const PAGE = 5_000;

export interface ArchiverSettings {
  /** ARCHIVE_DIR; undefined: this process archives nothing (and trims archived streams only up to what others archived). */
  root: string | undefined;
  /** Test-only: wait this long between a file's rename and its mark, so a test can kill the process there. */
  testMarkDelayMs?: number;
}

interface PartitionKeys {
  lock: string;
  hw: string;
  events: string;
}

export class Archiver {
  private readonly encoder = new ArchiveEncoder();

  constructor(
    private readonly redis: Redis,
    private readonly s: ArchiverSettings,
    private readonly log?: Log,
  ) {}

  /**
   * Archives partition `p`'s entries past the retention (when the stream is archived and this
   * process has ARCHIVE_DIR) and returns trim_stream's cap: '' for a stream without archive, else
   * the last archived id ('0-0': nothing archived yet, nothing may go).
   */
  async beforeTrim(config: StreamConfig, p: number, nowMs: number): Promise<string> {
    if (!config.archive) return '';
    const part = streamPartition(config, p);
    const k: PartitionKeys = { lock: keys.archiveLock(part), hw: keys.archived(part), events: keys.events(part) };
    if (this.s.root === undefined) return (await this.redis.get(k.hw)) ?? '0-0';
    const token = randomBytes(8).toString('hex');
    // Another process archives this partition now: trim up to what is marked, no further.
    if ((await this.redis.set(k.lock, token, { condition: 'NX', expiration: { type: 'PX', value: LOCK_TTL_MS } })) === null) return (await this.redis.get(k.hw)) ?? '0-0';
    try {
      return await this.archive(this.s.root, config, p, k, token, nowMs);
    } finally {
      await callFunction(this.redis, 'archive_mark', [k.lock, k.hw], ['release', token]).catch(() => undefined);
    }
  }

  /** Ends the worker thread (started by the first file); a later file would start another. */
  stop(): Promise<void> {
    return this.encoder.stop();
  }

  private async archive(root: string, config: StreamConfig, p: number, k: PartitionKeys, token: string, nowMs: number): Promise<string> {
    let hw = await this.redis.get(k.hw);
    await this.removeOrphans(root, config.name, p, hw, k.events);
    const r = config.retention ?? {};
    const length = await this.redis.xLen(k.events);
    // The same cut as trim_stream's: the oldest entries past maxLength, and those older than maxAge.
    const excess = r.maxLength === undefined ? 0 : Math.max(0, length - r.maxLength);
    const ageCut = r.maxAgeMs === undefined ? undefined : `${Math.max(0, nowMs - r.maxAgeMs)}-0`;
    let position = 0;
    let from = '-';
    let pending: ArchivedEntry[] = [];
    let archived = 0;
    const flush = async () => {
      const first = pending[0]!.id;
      const last = pending[pending.length - 1]!.id;
      const path = join(partitionDir(root, config.name, p), hourOf(first), fileName(first, last));
      await this.encoder.write(path, pending, p);
      if (this.s.testMarkDelayMs) await sleep(this.s.testMarkDelayMs);
      const marked = Number(await callFunction(this.redis, 'archive_mark', [k.lock, k.hw], ['advance', token, last, String(LOCK_TTL_MS)]));
      // The file stays: the process that holds the lock now removes it as an orphan, or has written the same range under the same name.
      if (marked !== 1) throw new Error(`lost the archive lock of ${config.name}/${p} while writing ${path}`);
      archived += pending.length;
      hw = last;
      pending = [];
    };
    scan: while (archived + pending.length < PASS_ENTRIES) {
      const page = ((await this.redis.xRange(k.events, from, '+', { COUNT: PAGE })) ?? []) as ArchivedEntry[];
      for (const e of page) {
        const old = position < excess || (ageCut !== undefined && compareIds(e.id, ageCut) < 0);
        position++;
        if (!old) break scan;
        if (hw !== null && compareIds(e.id, hw) <= 0) continue;
        if (pending.length > 0 && (pending.length >= FILE_ROWS || hourOf(e.id) !== hourOf(pending[0]!.id))) await flush();
        pending.push(e);
      }
      if (page.length < PAGE) break;
      from = `(${page[page.length - 1]!.id}`;
    }
    if (pending.length > 0) await flush();
    if (archived > 0) this.log?.debug({ stream: config.name, partition: p, archived, upTo: hw }, 'archived entries past the retention');
    return hw ?? '0-0';
  }

  /**
   * Files past the high-water id were written by a process that died (or lost its lock) before
   * marking them: their entries are still in the stream (the trim never passes the mark) and are
   * archived again. Files before the stream's first entry are kept: they are an earlier stream of
   * the same name, whose marks went with its keys.
   */
  private async removeOrphans(root: string, stream: string, p: number, hw: string | null, events: string): Promise<void> {
    // Under the lock a temporary file is a dead write's, or one whose writer lost the lock: its rename then fails and it marks nothing.
    for (const path of await listTemporary(root, stream, p, hw === null ? undefined : hourOf(hw))) {
      this.log?.warn({ stream, partition: p, file: path }, 'removing the temporary file of an archive write that never finished');
      await rm(path, { force: true });
    }
    const [first] = (await this.redis.xRange(events, '-', '+', { COUNT: 1 })) ?? [];
    if (!first) return;
    for (const f of await listFiles(root, stream, p, hw === null ? hourOf(first.id) : hourOf(hw))) {
      if ((hw === null || compareIds(f.firstId, hw) > 0) && compareIds(f.firstId, first.id) >= 0) {
        this.log?.warn({ stream, partition: p, file: f.path }, 'removing an archive file written but never marked (a crash mid-archive); its range is archived again');
        await rm(f.path, { force: true });
      }
    }
  }
}
