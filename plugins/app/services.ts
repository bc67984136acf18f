// Decorates the app with the engine-side services (registry, ingest, guards) built on one Redis client.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.js';
import type { Redis } from '../../src/redis/client.js';
import { StreamRegistry } from '../../src/streams/stream-registry.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { MemoryGuard } from '../../src/redis/memory-guard.js';
import { RetentionWorker } from '../../src/streams/retention-worker.js';
import { QueryRegistry } from '../../src/runtime/query-registry.js';
import { QueryService } from '../../src/runtime/query-service.js';
import { Coordinator } from '../../src/runtime/coordinator.js';
import type { FunctionRegistry } from '../../src/sql/functions/registry.js';

export interface Services {
  config: Config;
  redis: Redis;
  registry: StreamRegistry;
  ingest: IngestService;
  memoryGuard: MemoryGuard;
  retention: RetentionWorker;
  queryRegistry: QueryRegistry;
  queries: QueryService;
  /** Present when this process processes queries (ROLE all or worker). */
  coordinator: Coordinator | undefined;
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
  /** Built-in and user functions queries compile against. */
  functions: FunctionRegistry;
}

async function services(app: FastifyInstance, opts: ServicesOptions): Promise<void> {
  const { config, redis } = opts;
  const registry = new StreamRegistry(redis, config.streamConfigCacheMs);
  const queryRegistry = new QueryRegistry(redis);
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
    queryRegistry,
    queries: new QueryService(redis, registry, queryRegistry, {
      strictStreams: config.strictStreams,
      leaseTtlMs: config.leaseTtlMs,
      registryPollMs: config.registryPollMs,
      functions: opts.functions,
    }),
    coordinator:
      config.role === 'api'
        ? undefined
        : new Coordinator(redis, queryRegistry, {
            leaseTtlMs: config.leaseTtlMs,
            pollMs: config.registryPollMs,
            batchSize: config.batchSize,
            blockMs: config.blockMs,
            maxDeliveries: config.maxDeliveries,
            resultRetentionMs: config.resultRetentionMs,
            changesMaxLength: config.changesMaxLength,
            testCommitDelayMs: config.testCommitDelayMs,
            functions: opts.functions,
          }, app.log),
  };
  app.decorate('sg', sg);
  app.addHook('onReady', async () => {
    sg.memoryGuard.start();
    sg.retention.start();
    sg.coordinator?.start();
  });
  // preClose: hand the leases over while Redis is still connected and before requests drain.
  app.addHook('preClose', async () => {
    await sg.coordinator?.close();
  });
  app.addHook('onClose', async () => {
    sg.memoryGuard.stop();
    sg.retention.stop();
    if (opts.ownsRedis) await redis.close();
  });
}

export default fp(services, { name: 'services', fastify: '5.x' });
