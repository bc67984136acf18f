// Turns any error into an RFC 9457 problem: 4xx answers explain, 5xx answers do not leak.
import type { FastifyError } from 'fastify';
import { AppError, type FieldError } from '../errors.js';
import { toRedisError } from '../redis/redis-errors.js';

interface ValidationEntry {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

function validationErrors(entries: ValidationEntry[], context: string | undefined): FieldError[] {
  return entries.slice(0, 20).map((e) => {
    const missing = e.params?.missingProperty;
    const path = typeof missing === 'string' ? `${e.instancePath}/${missing}` : e.instancePath;
    const field = context === 'body' ? path || '/' : `${context ?? 'request'}${path.replace(/\//g, '.')}`;
    return { field, message: e.message ?? 'is invalid' };
  });
}

const FORBIDDEN_PROTO = /forbidden prototype property/i;

/** Maps Fastify, plugin and our own errors onto the catalogue. */
export function toAppError(err: FastifyError | AppError | Error): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError & { validation?: ValidationEntry[]; validationContext?: string };
  if (fe.validation) {
    const errors = validationErrors(fe.validation, fe.validationContext);
    const first = errors[0];
    return new AppError('SG_ERR_VALIDATION', first ? `${first.field} ${first.message}` : err.message, { errors });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('SG_ERR_BODY_TOO_LARGE', 'the request body is larger than the configured limit (BODY_LIMIT_BYTES)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new AppError('SG_ERR_UNSUPPORTED_MEDIA_TYPE', 'send application/json or application/x-ndjson');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('SG_ERR_MALFORMED_BODY', 'the body is empty');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('SG_ERR_MALFORMED_BODY', 'Content-Length does not match the body');
  }
  if (FORBIDDEN_PROTO.test(err.message)) {
    return new AppError('SG_ERR_PROTOTYPE_POISONING', 'the JSON body contains a forbidden "__proto__" or "constructor.prototype" property');
  }
  if (fe.statusCode === 400 && err instanceof SyntaxError) {
    return new AppError('SG_ERR_MALFORMED_BODY', `the body is not valid JSON: ${err.message}`);
  }
  if (fe.statusCode === 429) return new AppError('SG_ERR_RATE_LIMITED', 'too many requests; retry after the Retry-After delay');
  if (fe.statusCode === 404) return new AppError('SG_ERR_NOT_FOUND', err.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('SG_ERR_VALIDATION', err.message);
  }
  // Any route may meet a Redis outage (a node down, a failover, a slot moving): 503, not 500.
  const redisError = toRedisError(err);
  if (redisError instanceof AppError) return redisError;
  return new AppError('SG_ERR_INTERNAL', 'an internal error occurred; it has been logged', { cause: err });
}
