// A query's sinks as the API shows them: configuration without secrets, progress, and lag.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { queryPartition, type QueryDefinition } from '../runtime/query-definition.js';
import { publicSink } from './sink-config.js';
import { readSinkStatus, type SinkStatus } from './sink-state.js';

/** Changes counted past a sink's offset at most, so that a status read stays cheap. */
const LAG_CAP = 10_000;

export interface SinkView extends SinkStatus {
  config: Record<string, unknown>;
  /** Changes committed but not yet delivered (at most LAG_CAP: then "at least"). */
  lagChanges: number;
  /** How far behind the newest change the delivered one is, in milliseconds. */
  lagMs: number;
}

const msOf = (id: string) => Number(id.split('-')[0]);

export async function sinkViews(redis: Redis, def: QueryDefinition): Promise<SinkView[]> {
  if (!def.sinks?.length) return [];
  const parts = Array.from({ length: def.partitions }, (_, p) => keys.task(queryPartition(def, p), def.id).changes);
  return Promise.all(def.sinks.map(async (sink) => {
    const status = await readSinkStatus(redis, keys.sink(queryPartition(def, 0), def.id, sink.name).state, sink.name, sink.type);
    const at = status.offset?.split(',');
    let lagChanges = 0;
    let lagMs = 0;
    await Promise.all(parts.map(async (key, p) => {
      const after = at?.[p];
      const pending = await redis.xRange(key, after ? `(${after}` : '-', '+', { COUNT: LAG_CAP });
      lagChanges += pending?.length ?? 0;
      const newest = pending?.[pending.length - 1]?.id;
      if (newest) lagMs = Math.max(lagMs, msOf(newest) - (after ? msOf(after) : msOf(pending[0]!.id)));
    }));
    return { ...status, config: publicSink(sink), lagChanges: Math.min(lagChanges, LAG_CAP), lagMs };
  }));
}
