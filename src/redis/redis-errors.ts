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
  if (err instanceof Error && err.constructor.name !== 'Error' && /Client|Socket|Connection|Timeout|Reconnect|RootNodes|Redirections/.test(err.constructor.name)) {
    return new AppError('SG_ERR_REDIS_UNAVAILABLE', 'Redis is unreachable; retry later', { retryAfterSeconds: 1, cause: err });
  }
  // The connection broke with a command in flight (a node killed, a network cut): it may or may
  // not have run, so the client retries with its Idempotency-Key.
  if (err instanceof Error && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTCONN|EHOSTUNREACH|ENETUNREACH)$/.test(String((err as NodeJS.ErrnoException).code))) {
    return new AppError('SG_ERR_REDIS_UNAVAILABLE', 'the connection to Redis broke; retry later with the same Idempotency-Key', { retryAfterSeconds: 1, cause: err });
  }
  // While a cluster's topology changes (failover, resharding) the client's routing can fail on
  // its own: a node it cannot find, a slot no shard serves yet. Redis is not ready; retry later.
  if (err instanceof Error && (/^(Cannot find node|Could not find shard)/.test(err.message) || fromRedisClient(err))) {
    return new AppError('SG_ERR_REDIS_UNAVAILABLE', 'the Redis Cluster is changing its topology; retry later', { retryAfterSeconds: 1, cause: err });
  }
  return err;
}

/** Thrown inside node-redis itself (its first stack frame is in @redis/client), not by our code. */
function fromRedisClient(err: Error): boolean {
  const frame = err.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  return frame !== undefined && /[\\/]@redis[\\/]client[\\/]/.test(frame);
}
