// Where a query that starts from the archive (`start: "archive"` or an ISO time) begins: per
// partition, its consumer group is placed at the archive's high-water id, and the task reads the
// archived entries up to that id first (backfill.ts). The seam is exact: entries up to the id come
// from the archive only, entries after it from the stream only.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import type { PartitionRef } from '../redis/placement.js';
import { compareIds, idBefore, maxId } from './entry-id.js';

/** Stored in the query definition: what each task backfills from the archive. */
export interface ArchiveStart {
  /** Entries that arrived before this time (ms) are skipped (`start` was an ISO time). */
  fromMs?: number;
  /** Per partition: the last archived id the task reads; its group starts after it. */
  until: string[];
}

/** `start` values that read the archive first: "archive", or an ISO date-time. */
export function archiveStartOf(start: string): { fromMs?: number } | undefined {
  if (start === 'archive') return {};
  if (!/^\d{4}-\d{2}-\d{2}T/.test(start)) return undefined;
  const ms = Date.parse(start);
  return Number.isFinite(ms) ? { fromMs: ms } : undefined;
}

/**
 * Creates the query's group on each partition at max(high-water id, start time) and returns the
 * backfill bounds. The archiver may mark and trim meanwhile: the trim never passes the mark, so
 * once the group sits at or after a mark read after the group was placed, nothing after the group
 * can have been trimmed; otherwise the group moves up to that mark (those entries are archived).
 */
export async function createArchiveGroups(redis: Redis, parts: PartitionRef[], group: string, start: { fromMs?: number }, entriesRead: (key: string, id: string) => Promise<{ ENTRIESREAD?: number }>): Promise<ArchiveStart> {
  const floor = start.fromMs === undefined ? '0-0' : idBefore(start.fromMs);
  const until: string[] = [];
  for (const part of parts) {
    const key = keys.events(part);
    let hw = (await redis.get(keys.archived(part))) ?? '0-0';
    let at = maxId(hw, floor);
    await redis.xGroupCreate(key, group, at, { MKSTREAM: true, ...(await entriesRead(key, at)) });
    for (;;) {
      const now = (await redis.get(keys.archived(part))) ?? '0-0';
      if (compareIds(now, at) <= 0) break;
      hw = now;
      at = now;
      await redis.xGroupSetId(key, group, at, await entriesRead(key, at));
    }
    until.push(hw);
  }
  return { ...(start.fromMs !== undefined ? { fromMs: start.fromMs } : {}), until };
}
