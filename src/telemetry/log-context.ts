// Puts the active span's trace_id and span_id on every log line, so logs and traces join up.
import { trace } from '@opentelemetry/api';

/** A pino mixin: adds trace_id/span_id when a span is active (nothing with tracing off). */
export function traceLogMixin(): Record<string, string> {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}` };
}
