// Started with `node --import` before the app: the OpenTelemetry SDK, configured only by the
// standard OTEL_* variables. With none set it does nothing, so telemetry costs nothing.
import { telemetrySettings } from '../config.js';

const settings = telemetrySettings();

if (settings.enabled) {
  // Redis instrumentation patches modules as they load: ESM needs the import-in-the-middle hook.
  const { register } = await import('node:module');
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
  const { PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const { RedisInstrumentation } = await import('@opentelemetry/instrumentation-redis');
  const { FastifyOtelInstrumentation } = await import('@fastify/otel');
  const { registerPreloadPrometheus } = await import('./metrics.js');

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  registerPreloadPrometheus(prometheus);
  const readers: import('@opentelemetry/sdk-metrics').MetricReader[] = [prometheus];
  if (settings.otlpMetrics) {
    const { OTLPMetricExporter } = settings.metricsProtocol === 'http/json'
      ? await import('@opentelemetry/exporter-metrics-otlp-http')
      : await import('@opentelemetry/exporter-metrics-otlp-proto');
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter() }));
  }
  const { serverSampler } = await import('./sampler.js');
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    sampler: serverSampler(),
    metricReaders: readers,
    // One server span per request from @fastify/otel (no per-hook or handler spans, and no second
    // server span from the http instrumentation): per-request span count is what tracing costs.
    instrumentations: [
      // Only commands inside a traced operation: the idle XREADGROUP polling would otherwise be a trace each.
      new RedisInstrumentation({ requireParentSpan: true }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true, instrumentHooks: false, instrumentHandler: false }),
    ],
  });
  sdk.start();
  // Flush spans when the process ends; the server's graceful shutdown calls this last.
  (globalThis as Record<symbol, unknown>)[Symbol.for('streamgate.otel.shutdown')] = () => sdk.shutdown();
  await waitForAllMessagesAcknowledged();
}
