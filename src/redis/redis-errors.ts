// Maps what Redis and node-redis throw onto API errors: outages are 503 with Retry-After.
import { ErrorReply } from 'redis';
import { AppError } from '../errors.js';
import { RedisDeadlineError } from './deadline.js';

/** Passes AppErrors through; turns Redis refusals and connection failures into 503/422. */
export function toRedisError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (err instanceof ErrorReply) {
    const msg = err.message;
    if (/^(LOADING|BUSY|OOM|MISCONF|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)/.test(msg)) {
      return new AppError('SG_ERR_REDIS_UNAVAILABLE', 'Redis cannot take writes right now; retry later', { retryAfterSeconds: 1, cause: err });
    }
    return err;
  }
  if (err instanceof RedisDeadlineError) {
    return new AppError('SG_ERR_REDIS_UNAVAILABLE', 'Redis did not answer in time; retry later with the same Idempotency-Key', { retryAfterSeconds: 1, cause: err });
  }
  if (err instanceof Error && err.constructor.name !== 'Error' && /Client|Socket|Connection|Timeout|Reconnect/.test(err.constructor.name)) {
    return new AppError('SG_ERR_REDIS_UNAVAILABLE', 'Redis is unreachable; retry later', { retryAfterSeconds: 1, cause: err });
  }
  return err;
}
