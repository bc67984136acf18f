// Decorates the app with the engine-side services (registry, ingest, guards) built on one Redis client.
import { StreamWatcher } from '../../src/redis/stream-watcher.js';
import { IngestQuota } from '../../src/access/ingest-quota.js';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config.js';
import type { Redis } from '../../src/redis/client.js';
import { StreamRegistry } from '../../src/streams/stream-registry.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { MemoryGuard } from '../../src/redis/memory-guard.js';
import { RetentionWorker } from '../../src/streams/retention-worker.js';
import { Archiver } from '../../src/archive/archiver.js';
import { QueryRegistry } from '../../src/runtime/query-registry.js';
import { QueryService } from '../../src/runtime/query-service.js';
import { Coordinator } from '../../src/runtime/coordinator.js';
import { SampleRunner } from '../../src/runtime/sample-runner.js';
import type { FunctionRegistry } from '../../src/functions/index.js';
import { AlertMonitor } from '../../src/telemetry/alert-monitor.js';
import { endToEndWindow } from '../../src/telemetry/e2e.js';
import { telemetry } from '../../src/telemetry/metrics.js';
import type { ObservableResult } from '@opentelemetry/api';

export interface Services {
  config: Config;
  redis: Redis;
  registry: StreamRegistry;
  ingest: IngestService;
  memoryGuard: MemoryGuard;
  /** QUOTA_EVENTS_PER_SECOND per key, on every process together. */
  ingestQuota: IngestQuota;
  retention: RetentionWorker;
  queryRegistry: QueryRegistry;
  queries: QueryService;
  /** Present when this process processes queries (ROLE all or worker). */
  coordinator: Coordinator | undefined;
  /** The blocking reads of every task and tailer in this process, on one connection (per hash tag on a cluster). */
  watcher: StreamWatcher;
  alerts: AlertMonitor;
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
  let queries: QueryService | undefined;
  // Idle readers wait on it; its own read blocks for PUSH_BLOCK_TIME (1 s) between checks.
  const watcher = new StreamWatcher(redis, config.push.blockMs, app.log);
  const archiver = new Archiver(redis, { root: config.archiveDir, testMarkDelayMs: config.testArchiveDelayMs }, app.log);
  const sg: Services = {
    config,
    redis,
    watcher,
    registry,
    ingest: new IngestService(redis, registry, {
      strictStreams: config.strictStreams,
      maxEventsPerRequest: config.maxEventsPerRequest,
      idempotencyTtlMs: config.idempotencyTtlMs,
      streamMaxBacklog: config.streamMaxBacklog,
    }),
    memoryGuard: new MemoryGuard(redis, config.redisMaxMemoryBytes),
    ingestQuota: new IngestQuota(redis, config.quotas.eventsPerSecond),
    retention: new RetentionWorker(redis, registry, queryRegistry, { intervalMs: config.retentionIntervalMs, detachPausedMs: config.retentionDetachPausedMs }, app.log, archiver),
    queryRegistry,
    queries: (queries = new QueryService(redis, registry, queryRegistry, {
      strictStreams: config.strictStreams,
      sinkAllowedHosts: config.sinkAllowedHosts,
      functions: opts.functions,
      samples: new SampleRunner({ timeoutMs: config.validateTimeoutMs, memoryMb: config.validateMemoryMb, concurrency: 2, functionsDir: config.functionsDir }),
      maxQueriesPerKey: config.quotas.queries,
    })),
    coordinator:
      config.role === 'api'
        ? undefined
        : new Coordinator(redis, queryRegistry, {
            leaseTtlMs: config.leaseTtlMs,
            quarantineAfter: config.quarantineAfter,
            pollMs: config.registryPollMs,
            batchSize: config.batchSize,
            blockMs: config.blockMs,
            maxDeliveries: config.maxDeliveries,
            resultRetentionMs: config.resultRetentionMs,
            changesMaxLength: config.changesMaxLength,
            testCommitDelayMs: config.testCommitDelayMs,
            archiveDir: config.archiveDir,
            functions: opts.functions,
          }, app.log, watcher),
    alerts: new AlertMonitor(
      { lagEntries: config.alertLagEntries, e2eP99Ms: config.alertE2eP99Ms, deadLetterGrowth: config.alertDeadLetterGrowth, intervalMs: config.alertIntervalMs },
      async () => (await queries!.list()).map((q) => ({ id: q.id, status: q.status, lag: q.lag, deadLettered: q.deadLettered, watermark: q.watermark })),
      endToEndWindow(),
      app.log,
    ),
  };
  const t = telemetry();
  const lag = (obs: ObservableResult) => {
    for (const q of sg.alerts.lastHealth) obs.observe(q.lag, { query: q.id });
  };
  const watermark = (obs: ObservableResult) => {
    const now = Date.now();
    for (const q of sg.alerts.lastHealth) if (q.watermark) obs.observe(now - Date.parse(q.watermark), { query: q.id });
  };
  const alerts = (obs: ObservableResult) => obs.observe(sg.alerts.list().length);
  t.queryLag.addCallback(lag);
  t.watermarkDelay.addCallback(watermark);
  t.alertsActive.addCallback(alerts);
  app.decorate('sg', sg);
  app.addHook('onReady', async () => {
    sg.memoryGuard.start();
    sg.retention.start();
    sg.coordinator?.start();
    sg.alerts.start();
  });
  // preClose: hand the leases over while Redis is still connected and before requests drain.
  app.addHook('preClose', async () => {
    await sg.coordinator?.close();
  });
  app.addHook('onClose', async () => {
    sg.memoryGuard.stop();
    await sg.retention.stop();
    await archiver.stop();
    sg.alerts.stop();
    t.queryLag.removeCallback(lag);
    t.watermarkDelay.removeCallback(watermark);
    t.alertsActive.removeCallback(alerts);
    await sg.queries.closeSamples();
    await sg.watcher.close();
    if (opts.ownsRedis) await redis.close();
  });
}

export default fp(services, { name: 'services', fastify: '5.x' });
