// Query definitions in Redis, visible to every process; a version counter signals changes.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import type { QueryDefinition } from './query-definition.js';

export class QueryRegistry {
  constructor(private readonly redis: Redis) {}

  async get(id: string): Promise<QueryDefinition | undefined> {
    const text = await this.redis.hGet(keys.queryRegistry(), id);
    return text ? (JSON.parse(text) as QueryDefinition) : undefined;
  }

  async list(): Promise<QueryDefinition[]> {
    const all = await this.redis.hGetAll(keys.queryRegistry());
    return Object.values(all)
      .map((v) => JSON.parse(v) as QueryDefinition)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async put(def: QueryDefinition): Promise<void> {
    await this.redis.hSet(keys.queryRegistry(), def.id, JSON.stringify(def));
    await this.redis.incr(keys.queryRegistryVersion());
  }

  async remove(id: string): Promise<void> {
    await this.redis.hDel(keys.queryRegistry(), id);
    await this.redis.incr(keys.queryRegistryVersion());
  }

  /** Read-modify-write of one definition; returns the new one, or undefined if it is gone. */
  async update(id: string, change: (def: QueryDefinition) => QueryDefinition): Promise<QueryDefinition | undefined> {
    const def = await this.get(id);
    if (!def) return undefined;
    const next = change(def);
    await this.put(next);
    return next;
  }

  async version(): Promise<string> {
    return (await this.redis.get(keys.queryRegistryVersion())) ?? '0';
  }
}
