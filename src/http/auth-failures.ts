// Failed authentication limited per client address, across processes: each failure is counted in
// Redis (INCR with the window as TTL), and an address past the limit is refused with 429 before
// any key it sends is looked at, so guessing keys costs the guesser, not the key space. The block
// is kept in process memory (checked with no round trip); every process learns it from the shared
// count the next time that address fails there.
import type { Redis } from '../redis/client.js';
import { AppError } from '../errors.js';
import { keys } from '../redis/keys.js';

export interface AuthFailureLimits {
  /** Failures per address per window; 0 turns the limit off. */
  max: number;
  windowMs: number;
}

export class AuthFailures {
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly limits: AuthFailureLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws 429 while `address` is blocked. */
  check(address: string): void {
    const until = this.blocked.get(address);
    if (until === undefined) return;
    const left = until - this.now();
    if (left <= 0) {
      this.blocked.delete(address);
      return;
    }
    throw new AppError('SG_ERR_RATE_LIMITED', `too many failed authentications from this address; retry in ${Math.ceil(left / 1000)} s`, { retryAfterSeconds: Math.ceil(left / 1000) });
  }

  /** Counts one failure from `address`; past the limit, blocks it for the rest of the window (and throws that 429). */
  async failed(address: string): Promise<void> {
    if (this.limits.max <= 0) return;
    const key = keys.authFailures(address);
    const [count, , ttl] = (await this.redis.multi().incr(key).pExpire(key, this.limits.windowMs, 'NX').pTTL(key).exec()) as unknown as [number, number, number];
    if (count > this.limits.max) {
      if (this.blocked.size >= 100_000) this.blocked.clear();
      this.blocked.set(address, this.now() + Math.max(ttl, 1));
      this.check(address);
    }
  }
}
