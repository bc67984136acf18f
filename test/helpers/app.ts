// Builds the real app against a test's own Redis, with config overrides, closed at teardown.
import type { Test } from 'tap';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { loadConfig } from '../../src/config.js';
import { connectRedis } from '../../src/redis/client.js';
import { buildApp } from '../../src/app.js';
import { pino } from 'pino';

export async function startApp(t: Test, redisUrl: string, env: Record<string, string> = {}, onRoute?: (r: RouteOptions) => void, fastifyOtel = false): Promise<FastifyInstance> {
  const config = loadConfig({ REDIS_URL: redisUrl, LOG_LEVEL: 'silent', ...env });
  const log = pino({ level: 'silent' });
  const redis = await connectRedis({ url: redisUrl, log, nodeAddressMap: config.redisNodeAddressMap, waitReplicas: config.redisWaitReplicas });
  const app = await buildApp({ config, redis, ownsRedis: true, logger: log, fastifyOtel, ...(onRoute ? { onRoute } : {}) });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}
