// Stream configurations in Redis, shared by every gateway process, with a short local cache.
import type { Redis } from '../redis/client.js';
import { deletePartitionKeys } from '../redis/delete-keys.js';
import { keys } from '../redis/keys.js';
import { tagSlot } from '../redis/placement.js';
import { primaryOfSlot } from '../redis/topology.js';
import { AppError } from '../errors.js';
import { streamGroups, type StreamGroup } from '../redis/stream-groups.js';
import { withDeadline } from '../redis/deadline.js';

/** Registry reads sit on the ingest path: a stalled Redis must give 503, not a hung request. */
const DEADLINE_MS = 5_000;
const bounded = <T>(p: Promise<T>) => withDeadline(p, DEADLINE_MS);
import { STREAM_NAME_RE, buildStreamConfig, readPartition, streamPartition, defaultStreamConfig, type StreamConfig, type StreamConfigInput } from './stream-config.js';

export interface PartitionInfo {
  partition: number;
  /** Where the partition lives: its hash tag, that tag's slot, and the primary serving it (null on one Redis). */
  tag: string;
  slot: number;
  node: string | null;
  length: number;
  firstEntryId: string | null;
  lastEntryId: string | null;
  groups: StreamGroup[];
}

/** Reads and writes stream configs; every process sees a change within the cache TTL. */
export class StreamRegistry {
  private readonly cache = new Map<string, { config: StreamConfig | undefined; at: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private parse(text: string | null | undefined): StreamConfig | undefined {
    return text ? (JSON.parse(text) as StreamConfig) : undefined;
  }

  /**
   * The cached config of a stream known to exist, without a Redis read; undefined when the cache
   * has nothing fresh. Lets the ingest path skip a promise per request (each one costs more when
   * tracing keeps async context).
   */
  cached(name: string): StreamConfig | undefined {
    return this.fresh(name)?.config;
  }

  /** The cache entry of `name` while it is fresh (its config is undefined for a stream known not to exist). */
  private fresh(name: string): { config: StreamConfig | undefined } | undefined {
    const hit = this.cache.get(name);
    return hit && this.now() - hit.at < this.cacheMs ? hit : undefined;
  }

  /** The stored config, or undefined for an unknown stream. Cached for `cacheMs`. */
  async get(name: string): Promise<StreamConfig | undefined> {
    const hit = this.fresh(name);
    if (hit) return hit.config;
    let text: string | null;
    try {
      text = await bounded(this.redis.hGet(keys.streamRegistry(), name));
    } catch (err) {
      // The registry's node is down (on a cluster, the one serving {meta}) but the stream's own
      // partitions may not be: a stream this process knows keeps its last config (partition
      // counts never change) until the registry answers again.
      const stale = this.cache.get(name)?.config;
      if (stale) return stale;
      throw err;
    }
    const config = this.parse(text);
    this.cache.set(name, { config, at: this.now() });
    return config;
  }

  /** The config a first use of `name` would create, not stored (to check a request before it writes). */
  provisional(name: string): StreamConfig {
    // Every way in (path, FROM) checks names; this is the last line before a key is built from one.
    if (!STREAM_NAME_RE.test(name)) throw new AppError('SG_ERR_VALIDATION', `${JSON.stringify(name)} is not a stream name (1 to 128 of A-Z a-z 0-9 _ . -)`);
    return defaultStreamConfig(name, new Date(this.now()));
  }

  /** The config, creating the default one on first use (HSETNX: concurrent first POSTs agree). */
  async getOrCreate(name: string): Promise<StreamConfig> {
    const fresh = this.provisional(name);
    const existing = await this.get(name);
    if (existing) return existing;
    const created = await bounded(this.redis.hSetNX(keys.streamRegistry(), name, JSON.stringify(fresh)));
    // Cache what is now stored, so the next request does not read it back.
    if (created) {
      this.cache.set(name, { config: fresh, at: this.now() });
      return fresh;
    }
    this.cache.delete(name);
    const config = await this.get(name);
    if (!config) throw new AppError('SG_ERR_CONFLICT', `stream "${name}" was deleted while it was being created; retry`);
    return config;
  }

  async list(): Promise<StreamConfig[]> {
    const all = await bounded(this.redis.hGetAll(keys.streamRegistry()));
    return Object.values(all)
      .map((v) => JSON.parse(v) as StreamConfig)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Creates or replaces a config. The partition count of a stream holding events is fixed. */
  async put(name: string, input: StreamConfigInput): Promise<StreamConfig> {
    const previous = this.parse(await bounded(this.redis.hGet(keys.streamRegistry(), name)));
    const next = buildStreamConfig(name, input, previous, new Date(this.now()));
    if (previous || next.source) await this.checkSource(previous, next);
    if (previous && previous.partitions !== next.partitions) {
      const lengths = await Promise.all(Array.from({ length: previous.partitions }, (_, p) => this.redis.xLen(keys.events(streamPartition(previous, p)))));
      if (lengths.some((n) => n > 0)) {
        throw new AppError('SG_ERR_CONFLICT', `stream "${name}" holds events in ${previous.partitions} partition(s); its partition count cannot change`, {
          errors: [{ field: '/partitions', message: `must stay ${previous.partitions} while the stream holds events` }],
        });
      }
    }
    await this.redis.hSet(keys.streamRegistry(), name, JSON.stringify(next));
    this.cache.delete(name);
    return next;
  }

  /**
   * An adopted stream's key never changes (its queries' consumer groups live on it), a stream
   * holding events of its own is not adopted over them, and the key must be a stream or not exist yet.
   */
  private async checkSource(previous: StreamConfig | undefined, next: StreamConfig): Promise<void> {
    const was = previous?.source?.key;
    const now = next.source?.key;
    if (previous && was !== now) {
      if (was !== undefined) {
        throw new AppError('SG_ERR_CONFLICT', `stream "${next.name}" is adopted from the Redis key "${was}"; that cannot change (${now === undefined ? 'to a stream of its own' : `to "${now}"`}): delete the stream and create it again`, {
          errors: [{ field: '/source', message: `must stay {"key": ${JSON.stringify(was)}, …}` }],
        });
      }
      const lengths = await Promise.all(Array.from({ length: previous.partitions }, (_, p) => this.redis.xLen(keys.events(streamPartition(previous, p)))));
      if (lengths.some((n) => n > 0)) {
        throw new AppError('SG_ERR_CONFLICT', `stream "${next.name}" holds events of its own; it cannot adopt the Redis key "${now}": use another stream name`, {
          errors: [{ field: '/source', message: 'only a stream without events may adopt a Redis key' }],
        });
      }
    }
    if (now !== undefined) {
      const type = await this.redis.type(now);
      if (type !== 'none' && type !== 'stream') {
        throw new AppError('SG_ERR_VALIDATION', `source: the Redis key "${now}" holds a ${type}, not a stream`, { errors: [{ field: '/source/key', message: `holds a ${type}, not a stream` }] });
      }
    }
  }

  /** Deletes the config and every key of every partition (never an adopted stream's own key). False when the stream is unknown. */
  async delete(name: string): Promise<boolean> {
    const config = this.parse(await this.redis.hGet(keys.streamRegistry(), name));
    if (!config) return false;
    await this.redis.hDel(keys.streamRegistry(), name);
    this.cache.delete(name);
    for (let p = 0; p < config.partitions; p++) await deletePartitionKeys(this.redis, streamPartition(config, p));
    return true;
  }

  /** Length, entry ids and consumer groups of each partition (of the foreign key, for an adopted stream). */
  async partitionInfo(config: StreamConfig): Promise<PartitionInfo[]> {
    return Promise.all(
      Array.from({ length: config.partitions }, async (_, partition) => {
        const part = readPartition(config, partition);
        const key = keys.events(part);
        const slot = tagSlot(part.tag);
        const [length, first, last] = await Promise.all([
          this.redis.xLen(key),
          this.redis.xRange(key, '-', '+', { COUNT: 1 }),
          this.redis.xRevRange(key, '+', '-', { COUNT: 1 }),
        ]);
        const groups = await streamGroups(this.redis, key);
        return { partition, tag: part.tag, slot, node: primaryOfSlot(this.redis, slot), length, firstEntryId: first?.[0]?.id ?? null, lastEntryId: last?.[0]?.id ?? null, groups };
      }),
    );
  }
}
