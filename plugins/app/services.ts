// Decorates the app with the engine-side services (registry, ingest, guards) built on one Redis client.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.js';
import type { Redis } from '../../src/redis/client.js';
import { StreamRegistry } from '../../src/streams/stream-registry.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { MemoryGuard } from '../../src/redis/memory-guard.js';
import { RetentionWorker } from '../../src/streams/retention-worker.js';

export interface Services {
  config: Config;
  redis: Redis;
  registry: StreamRegistry;
  ingest: IngestService;
  memoryGuard: MemoryGuard;
  retention: RetentionWorker;
}

declare module 'fastify' {
  interface FastifyInstance {
    sg: Services;
  }
}

export interface ServicesOptions {
  config: Config;
  redis: Redis;
  /** Close the Redis client when the app closes (false when the caller owns it). */
  ownsRedis: boolean;
}

async function services(app: FastifyInstance, opts: ServicesOptions): Promise<void> {
  const { config, redis } = opts;
  const registry = new StreamRegistry(redis, config.streamConfigCacheMs);
  const sg: Services = {
    config,
    redis,
    registry,
    ingest: new IngestService(redis, registry, {
      strictStreams: config.strictStreams,
      maxEventsPerRequest: config.maxEventsPerRequest,
      idempotencyTtlMs: config.idempotencyTtlMs,
      streamMaxBacklog: config.streamMaxBacklog,
    }),
    memoryGuard: new MemoryGuard(redis, config.redisMaxMemoryBytes),
    retention: new RetentionWorker(redis, registry, config.retentionIntervalMs, app.log),
  };
  app.decorate('sg', sg);
  app.addHook('onReady', async () => {
    sg.memoryGuard.start();
    sg.retention.start();
  });
  app.addHook('onClose', async () => {
    sg.memoryGuard.stop();
    sg.retention.stop();
    if (opts.ownsRedis) await redis.close();
  });
}

export default fp(services, { name: 'services', fastify: '5.x' });
