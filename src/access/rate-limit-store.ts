// A store for @fastify/rate-limit that counts in Redis, so RATE_LIMIT_MAX holds per key on every
// process together (a fixed window: INCR, with the window as TTL on the first request).
import type { Redis } from '../redis/client.js';
import { keys } from '../redis/keys.js';

type Done = (err: Error | null, res?: { current: number; ttl: number }) => void;

/** The store class @fastify/rate-limit instantiates (it passes only its own options). */
export function redisRateStore(redis: Redis) {
  return class RedisRateStore {
    incr(label: string, done: Done, timeWindow: number): void {
      const key = keys.rateWindow(label);
      redis
        .multi()
        .incr(key)
        .pExpire(key, timeWindow, 'NX')
        .pTTL(key)
        .exec()
        .then((reply) => {
          const [current, , ttl] = reply as unknown as [number, number, number];
          done(null, { current: Number(current), ttl: Math.max(0, Number(ttl)) });
        }, (err: Error) => done(err));
    }

    child(): RedisRateStore {
      return this;
    }
  };
}
