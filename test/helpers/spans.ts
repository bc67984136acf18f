// An in-memory span exporter on a registered tracer provider, for tests that assert on spans.
import t from 'tap';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Registers the provider for this test file and unregisters it at the file's end. */
export function captureSpans(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  t.teardown(async () => {
    await provider.shutdown();
    trace.disable();
  });
  return exporter;
}
