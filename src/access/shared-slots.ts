// Per-key quotas on things held over time (live subscriptions, push connections), counted in Redis
// so the limit holds across every gateway process: a key cannot multiply it by spreading its
// connections. Each held slot is renewed by its process; a process that dies loses its slots after
// the TTL (quota-take.lua, quota-renew.lua).
import { randomBytes } from 'node:crypto';
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';
import { callFunction } from '../redis/functions.js';
import type { Log } from '../util/logger.js';

export interface Slot {
  release(): void;
}

export class SharedSlots {
  private readonly process = randomBytes(6).toString('hex');
  private counter = 0;
  /** key label → members this process holds. */
  private readonly held = new Map<string, Set<string>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    /** What is counted: part of the Redis key (`subscriptions`, `connections`). */
    private readonly kind: string,
    private readonly log: Log,
    private readonly ttlMs = 30_000,
  ) {
    this.timer = setInterval(() => void this.renew(), ttlMs / 3);
    this.timer.unref();
  }

  /** Takes one of `max` slots of `label`, or undefined when all are held (by any process). */
  async take(label: string, max: number): Promise<Slot | undefined> {
    const member = `${this.process}:${++this.counter}`;
    const taken = await callFunction(this.redis, 'quota_take', [keys.quotaSlots(label, this.kind)], [member, String(max), String(this.ttlMs)]);
    if (Number(taken) !== 1) return undefined;
    let mine = this.held.get(label);
    if (!mine) this.held.set(label, (mine = new Set()));
    mine.add(member);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        mine.delete(member);
        if (mine.size === 0 && this.held.get(label) === mine) this.held.delete(label);
        // Not awaited: a release Redis misses lapses with the TTL.
        this.redis.zRem(keys.quotaSlots(label, this.kind), member).catch((err: unknown) => this.log.warn({ err }, 'quota slot release failed; it lapses with its TTL'));
      },
    };
  }

  private async renew(): Promise<void> {
    for (const [label, members] of this.held) {
      if (members.size === 0) continue;
      try {
        await callFunction(this.redis, 'quota_renew', [keys.quotaSlots(label, this.kind)], [String(this.ttlMs), ...members]);
      } catch (err) {
        this.log.warn({ err, kind: this.kind }, 'quota slots not renewed; retried next period');
      }
    }
  }

  /** Stops renewing and releases every slot this process holds. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.held].map(([label, members]) => this.redis.zRem(keys.quotaSlots(label, this.kind), [...members]).catch(() => undefined));
    this.held.clear();
    await Promise.all(all);
  }
}
