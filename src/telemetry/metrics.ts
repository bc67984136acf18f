// The metric instruments, on a meter provider that always has a Prometheus reader (GET /metrics)
// and, when the preload started the OpenTelemetry SDK, its OTLP reader too.
import { metrics, type Counter, type Histogram, type Meter, type ObservableGauge } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { METRICS, TRACER_NAME } from './names.js';

/** Set by the preload when the SDK runs, so /metrics reads the SDK's own provider. */
const PRELOAD_KEY = Symbol.for('streamgate.prometheus');

export function registerPreloadPrometheus(exporter: PrometheusExporter): void {
  (globalThis as Record<symbol, unknown>)[PRELOAD_KEY] = exporter;
}

let prometheus: PrometheusExporter | undefined;

/** The Prometheus reader behind GET /metrics; creates a local provider when the SDK is off. */
export function prometheusExporter(): PrometheusExporter {
  if (prometheus) return prometheus;
  const fromPreload = (globalThis as Record<symbol, unknown>)[PRELOAD_KEY] as PrometheusExporter | undefined;
  if (fromPreload) return (prometheus = fromPreload);
  prometheus = new PrometheusExporter({ preventServerStart: true });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [prometheus], resource: resourceFromAttributes({ 'service.name': 'streamgate' }) }));
  return prometheus;
}

export interface Instruments {
  eventsIngested: Counter;
  eventsRejected: Counter;
  eventsProcessed: Counter;
  batchSize: Histogram;
  commitDuration: Histogram;
  endToEnd: Histogram;
  eventsLate: Counter;
  eventsDeadLettered: Counter;
  subscribersDropped: Counter;
  taskRestarts: Counter;
  queriesQuarantined: Counter;
  leaseMoves: Counter;
  queryLag: ObservableGauge;
  watermarkDelay: ObservableGauge;
  subscribers: ObservableGauge;
  alertsActive: ObservableGauge;
}

let instruments: Instruments | undefined;

const MS_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000];

/** The instruments, created on first use (after the provider exists). */
export function telemetry(): Instruments {
  if (instruments) return instruments;
  prometheusExporter();
  const m: Meter = metrics.getMeter(TRACER_NAME);
  const ms = (name: string, description: string) => m.createHistogram(name, { description, unit: 'ms', advice: { explicitBucketBoundaries: MS_BUCKETS } });
  instruments = {
    eventsIngested: m.createCounter(METRICS.eventsIngested, { description: 'Events written to streams' }),
    eventsRejected: m.createCounter(METRICS.eventsRejected, { description: 'Refused ingest requests, by reason (error code)' }),
    eventsProcessed: m.createCounter(METRICS.eventsProcessed, { description: 'Events committed by a query' }),
    batchSize: m.createHistogram(METRICS.batchSize, { description: 'Entries per processed batch', advice: { explicitBucketBoundaries: [1, 10, 50, 100, 500, 1_000, 5_000, 10_000] } }),
    commitDuration: ms(METRICS.commitDuration, 'Duration of the atomic commit of one batch'),
    endToEnd: ms(METRICS.endToEnd, 'Time from ingest (arrival in Redis) to a change being committed (stage=commit) or pushed (stage=push)'),
    eventsLate: m.createCounter(METRICS.eventsLate, { description: 'Late events sent to the late stream' }),
    eventsDeadLettered: m.createCounter(METRICS.eventsDeadLettered, { description: 'Entries moved to a dead-letter stream' }),
    subscribersDropped: m.createCounter(METRICS.subscribersDropped, { description: 'Subscribers closed for being too slow or for answering no pings' }),
    taskRestarts: m.createCounter(METRICS.taskRestarts, { description: 'Task restarts after an error' }),
    queriesQuarantined: m.createCounter(METRICS.queriesQuarantined, { description: 'Queries failed because each process running them died before committing' }),
    leaseMoves: m.createCounter(METRICS.leaseMoves, { description: 'Task leases acquired or released by this process' }),
    queryLag: m.createObservableGauge(METRICS.queryLag, { description: 'Source entries not yet committed, per query' }),
    watermarkDelay: m.createObservableGauge(METRICS.watermarkDelay, { description: 'Wall clock minus the query watermark', unit: 'ms' }),
    subscribers: m.createObservableGauge(METRICS.subscribers, { description: 'Connected live-result subscribers' }),
    alertsActive: m.createObservableGauge(METRICS.alertsActive, { description: 'Active alerts' }),
  };
  return instruments;
}
