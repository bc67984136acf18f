// Tells idle readers that a stream has new entries, over one blocking connection per process (on a
// Redis Cluster, one per partition hash tag being watched), instead of one blocking connection per
// task and per live-results tailer. Readers read without blocking on the shared client; when a read
// comes back empty they wait on a watch, and read again when it fires or after their block time.
//
// A watch on a key remembers the key's newest id when it was made (L) and fires at the first entry
// after L. A reader that joins a watch reads once more after joining: whatever arrived up to L is
// read then, and anything later fires the watch. While a watch has not fired, nothing after L has
// arrived (or its XREAD reply is on the way and will fire it), so a reader that timed out may wait
// on the same watch again without reading.
import { randomBytes } from 'node:crypto';
import type { Redis } from './client.js';
import { duplicateForBlocking, isCluster } from './topology.js';
import { keyTag, tagInSlotOf } from './placement.js';
import type { Log } from '../util/logger.js';

/** One key's watch, shared by every reader waiting on that key. */
class KeyWatch {
  done = false;
  usedAt = Date.now();
  readonly fired: Promise<void>;
  resolve!: () => void;

  constructor(readonly key: string, readonly after: string) {
    this.fired = new Promise((ok) => (this.resolve = ok));
  }
}

/** What a reader waits on: fires when any of its keys has an entry after its watch was made. */
export interface Watch {
  /** False once it fired: the reader must read before waiting again. */
  readonly armed: boolean;
  readonly fired: Promise<void>;
}

/** The keys that share one blocking connection: all of them on one Redis, one hash tag on a cluster. */
class WatchGroup {
  readonly watches = new Map<string, KeyWatch>();
  /** When the wake key's TTL was last set: once per half TTL is enough to keep it (and let it go). */
  expirySetAt = 0;
  /**
   * The newest wake entry a read returned. Reading after it, not after `$`, keeps a wake sent
   * between building a read and Redis running it: `$` would start after that wake and miss it.
   */
  private wakeSeen = '0-0';
  private reader: Redis | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly owner: StreamWatcher,
    readonly wakeKey: string,
  ) {}

  add(w: KeyWatch): void {
    this.watches.set(w.key, w);
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    const { redis, blockMs, log } = this.owner;
    try {
      while (!this.owner.closed && this.watches.size > 0) {
        try {
          if (!this.reader) {
            this.reader = duplicateForBlocking(redis);
            this.reader.on('error', (err: Error) => log.debug({ err: err.message }, 'stream watcher connection error'));
            await this.reader.connect();
          }
          this.forgetIdle();
          const watched = [...this.watches.values()];
          if (watched.length === 0) continue;
          // COUNT 1: only whether something arrived matters, not what.
          // node-redis types an XREAD reply as `any`; this is its RESP3 shape.
          const reply: { name: string; messages: { id: string }[] }[] | null = await this.reader.xRead(
            [{ key: this.wakeKey, id: this.wakeSeen }, ...watched.map((w) => ({ key: w.key, id: w.after }))],
            { BLOCK: blockMs, COUNT: 1 },
          );
          for (const s of reply ?? []) {
            if (s.name === this.wakeKey) {
              this.wakeSeen = s.messages[s.messages.length - 1]?.id ?? this.wakeSeen;
              continue;
            }
            const w = this.watches.get(s.name);
            if (!w) continue;
            this.watches.delete(s.name);
            w.done = true;
            w.resolve();
          }
        } catch (err) {
          if (this.owner.closed) break;
          log.warn({ err: (err as Error).message }, 'stream watcher read failed; retrying');
          this.dropReader();
          await new Promise((ok) => setTimeout(ok, 250));
        }
      }
    } finally {
      // In the same step as the loop's last check (no await between): a watch added after it
      // finds no loop and starts one.
      this.loop = undefined;
    }
  }

  /** Watches no reader joined for a minute go (a deleted query's stream, an ended subscription). */
  private forgetIdle(): void {
    const old = Date.now() - 60_000;
    for (const [key, w] of this.watches) if (w.usedAt < old) this.watches.delete(key);
  }

  private dropReader(): void {
    const r = this.reader;
    this.reader = undefined;
    try {
      r?.destroy();
    } catch {
      // already closed
    }
  }

  async close(): Promise<void> {
    // Destroying the connection ends a pending XREAD BLOCK at once instead of waiting it out.
    this.dropReader();
    await this.loop;
  }
}

export class StreamWatcher {
  private readonly groups = new Map<string, WatchGroup>();
  private readonly process = randomBytes(6).toString('hex');
  closed = false;

  constructor(
    readonly redis: Redis,
    readonly blockMs: number,
    readonly log: Log,
  ) {}

  private groupOf(key: string): WatchGroup {
    // On a cluster a blocking read must stay within one slot: keys are grouped by their hash tag
    // (an adopted stream's key may have none: then by a tag of our own in its slot).
    const tag = isCluster(this.redis) ? (keyTag(key) ?? tagInSlotOf('sg', key)) : '';
    let g = this.groups.get(tag);
    if (!g) this.groups.set(tag, (g = new WatchGroup(this, tag ? `sg:${tag}:wake:${this.process}` : `sg:wake:${this.process}`)));
    return g;
  }

  /**
   * A watch over `keys`. Read once more after this resolves before waiting on it (see the top).
   * `after`: the caller's own position per key, when it has one (a tailer); otherwise each key's
   * newest id now.
   */
  async watch(keys: string[], after?: string[]): Promise<Watch> {
    const parts = await Promise.all(keys.map((key, i) => this.keyWatch(key, after?.[i])));
    if (parts.length === 1) {
      const w = parts[0]!;
      return { get armed() { return !w.done; }, fired: w.fired };
    }
    return { get armed() { return parts.every((w) => !w.done); }, fired: Promise.race(parts.map((w) => w.fired)) };
  }

  private async keyWatch(key: string, after: string | undefined): Promise<KeyWatch> {
    const group = this.groupOf(key);
    const existing = group.watches.get(key);
    if (existing && !existing.done) {
      existing.usedAt = Date.now();
      return existing;
    }
    const from = after ?? (await this.redis.xRevRange(key, '+', '-', { COUNT: 1 }))?.[0]?.id ?? '0-0';
    const again = group.watches.get(key);
    if (again && !again.done) return again; // made by another reader meanwhile
    const w = new KeyWatch(key, from);
    group.add(w);
    // Ends the group's pending read, so the next one lists this key.
    await this.redis.xAdd(group.wakeKey, '*', { w: '1' }, { TRIM: { strategy: 'MAXLEN', threshold: 1 } });
    if (Date.now() - group.expirySetAt > 30_000) {
      group.expirySetAt = Date.now();
      await this.redis.pExpire(group.wakeKey, 60_000);
    }
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.groups.values()].map((g) => g.close()));
    this.groups.clear();
  }
}
