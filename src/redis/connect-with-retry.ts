// Start-up against a Redis that may not be up yet: retry with backoff, log each wait, and give up
// with a clear error after a deadline instead of hanging.
import type { Log } from '../util/logger.js';
import { connectRedis, type Redis, type RedisOptions } from './client.js';

export class RedisUnreachableError extends Error {}

export async function connectWithRetry(opts: RedisOptions, timeoutMs: number, log: Log): Promise<Redis> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectRedis(opts);
    } catch (err) {
      const left = deadline - Date.now();
      const reason = (err as Error).message || String(err);
      if (left <= 0) throw new RedisUnreachableError(`Redis did not answer within ${Math.round(timeoutMs / 1000)} s (REDIS_CONNECT_TIMEOUT), after ${attempt} attempts: ${reason}`);
      const wait = Math.min(delay, left);
      log.warn({ attempt, retryInMs: wait, err: reason }, 'Redis is not reachable yet; retrying');
      await new Promise((ok) => setTimeout(ok, wait));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
