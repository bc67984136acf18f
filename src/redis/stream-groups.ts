// XINFO GROUPS of one stream key, decoded; a key that does not exist yet has no groups.
import type { Redis } from './client.js';

export interface StreamGroup {
  name: string;
  pending: number;
  /** Entries not yet delivered; null when Redis cannot tell (deletions inside the group's range). */
  lag: number | null;
  lastDeliveredId: string;
}

export async function streamGroups(redis: Redis, key: string): Promise<StreamGroup[]> {
  try {
    const reply = (await redis.xInfoGroups(key)) as unknown as Record<string, unknown>[];
    return reply.map((g) => ({
      name: String(g.name),
      pending: Number(g.pending),
      lag: g.lag === null || g.lag === undefined ? null : Number(g.lag),
      lastDeliveredId: String(g['last-delivered-id']),
    }));
  } catch (err) {
    if (err instanceof Error && /no such key/i.test(err.message)) return [];
    throw err;
  }
}
