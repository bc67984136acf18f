// Query definitions in Redis, visible to every process; a version counter signals changes. Every
// write goes through one Redis Function (registry-write.lua): atomic, and compare-and-set for updates.
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { callFunction } from '../redis/functions.js';
import { sleep } from '../util/sleep.js';
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

  /**
   * Creates or replaces a definition (registration: the id is new). With `maxOwned`, refused
   * (false) when its owner already holds that many queries, checked atomically with the write so
   * concurrent registrations on many processes cannot pass the quota together.
   */
  async put(def: QueryDefinition, maxOwned = 0): Promise<boolean> {
    return (await this.write('put', def.id, '', JSON.stringify(def), def.ownerKey ?? '', maxOwned)) === 1;
  }

  async remove(id: string): Promise<void> {
    await this.write('del', id, '', '');
  }

  /**
   * Read-modify-write of one definition, compare-and-set: when another process changed it in
   * between, it is read again and `change` applied to that. Returns the new definition, the
   * unchanged one when `change` returns it as is, or undefined if it is gone.
   */
  async update(id: string, change: (def: QueryDefinition) => QueryDefinition): Promise<QueryDefinition | undefined> {
    for (let attempt = 0; attempt < 50; attempt++) {
      // Writers that collided spread out instead of colliding again.
      if (attempt > 0) await sleep(Math.random() * Math.min(2 * attempt, 20));
      const text = await this.redis.hGet(keys.queryRegistry(), id);
      if (!text) return undefined;
      const def = JSON.parse(text) as QueryDefinition;
      const next = change(def);
      if (next === def) return def;
      const written = await this.write('cas', id, text, JSON.stringify(next));
      if (written === 1) return next;
      if (written === -1) return undefined;
    }
    throw new Error(`query ${id}: the registry kept changing under 50 compare-and-set attempts`);
  }

  private async write(mode: 'put' | 'cas' | 'del', id: string, expected: string, next: string, owner = '', maxOwned = 0): Promise<number> {
    return Number(await callFunction(this.redis, 'registry_write', [keys.queryRegistry(), keys.queryRegistryVersion()], [mode, id, expected, next, owner, String(maxOwned)]));
  }

  async version(): Promise<string> {
    return (await this.redis.get(keys.queryRegistryVersion())) ?? '0';
  }
}
