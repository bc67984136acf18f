// Per API key (or client address) request rate limit on every process together (counted in Redis):
// 429 with Retry-After. Off when RATE_LIMIT_MAX=0.
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../src/errors.js';
import { redisRateStore } from '../../src/access/rate-limit-store.js';

async function limiter(app: FastifyInstance): Promise<void> {
  const { rateLimitMax, rateLimitWindowMs } = app.sg.config;
  if (rateLimitMax <= 0) return;
  await app.register(rateLimit, {
    global: true,
    max: rateLimitMax,
    timeWindow: rateLimitWindowMs,
    hook: 'onRequest',
    store: redisRateStore(app.sg.redis),
    keyGenerator: (req) => req.apiKeyLabel ?? req.ip,
    allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
    errorResponseBuilder: (_req, ctx) =>
      new AppError('SG_ERR_RATE_LIMITED', `more than ${ctx.max} requests in ${ctx.after}; retry later`, {
        retryAfterSeconds: Math.max(1, Math.ceil(ctx.ttl / 1000)),
      }),
  });
}

export default fp(limiter, { name: 'rate-limit', fastify: '5.x', dependencies: ['services', 'auth'] });
