// Our spans: ingest (PRODUCER), one process span per batch (CONSUMER, linked to the producers'
// contexts stored in the entries), commit, and the trace context carried in stream entries.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import { SPANS, TRACER_NAME } from './names.js';

const tracer = () => trace.getTracer(TRACER_NAME);

/** At most this many producer links per process span; the count of distinct producers goes in an attribute. */
const MAX_LINKS = 128;

/**
 * The span's context as a W3C traceparent, or undefined unless the span is sampled: a link to a
 * span that was never exported leads nowhere, and every stored entry would carry it for nothing.
 */
export function traceparentOf(span: Span | undefined): string | undefined {
  if (!span?.isRecording()) return undefined;
  const sc = span.spanContext();
  if (!trace.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

/** The parent for an ingest span: the active context, else the incoming traceparent header. */
export function requestContext(active: Context | undefined, headers: Record<string, unknown>): Context {
  const ctx = active ?? context.active();
  if (trace.getSpan(ctx)) return ctx;
  return propagation.extract(ROOT_CONTEXT, headers);
}

export function startIngestSpan(parent: Context, stream: string, events: number): Span {
  return tracer().startSpan(
    SPANS.ingest(stream),
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'redis',
        'messaging.destination.name': stream,
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'xadd',
        'messaging.batch.message_count': events,
      },
    },
    parent,
  );
}

/** Parses a stored traceparent into a span context for a link. */
function linkOf(tp: string | undefined): Link | undefined {
  if (!tp) return undefined;
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(tp);
  if (!m) return undefined;
  const spanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
  return trace.isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}

export function startProcessSpan(queryId: string, stream: string, traceparents: (string | undefined)[]): Span {
  const span = tracer().startSpan(SPANS.process(queryId), {
    kind: SpanKind.CONSUMER,
    attributes: {
      'messaging.system': 'redis',
      'messaging.destination.name': stream,
      'messaging.consumer.group.name': queryId,
      'messaging.operation.type': 'process',
      'messaging.batch.message_count': traceparents.length,
    },
  }, ROOT_CONTEXT);
  // With tracing off the span does not record: skip parsing every entry's context.
  if (!span.isRecording()) return span;
  // One link per producer span: the entries of one POST share its context.
  const seen = new Set<string>();
  const links: Link[] = [];
  for (const tp of traceparents) {
    if (!tp || seen.has(tp)) continue;
    const l = linkOf(tp);
    if (!l) continue;
    seen.add(tp);
    if (links.length < MAX_LINKS) links.push(l);
  }
  span.setAttribute('streamgate.links.total', seen.size);
  span.addLinks(links);
  return span;
}

export function startChildSpan(name: string, parent: Span): Span {
  return tracer().startSpan(name, { kind: SpanKind.INTERNAL }, trace.setSpan(ROOT_CONTEXT, parent));
}

/** The push span of one delivered change: linked to the process span that produced it. */
export function startPushSpan(queryId: string, processTraceparent: string | undefined, attributes: Record<string, string | number>): Span {
  const l = linkOf(processTraceparent);
  return tracer().startSpan(SPANS.push(queryId), { kind: SpanKind.PRODUCER, links: l ? [l] : [], attributes: { 'messaging.system': 'websocket', ...attributes } }, ROOT_CONTEXT);
}

/** Marks a span failed with the error (a no-op on a non-recording span). */
export function failSpan(span: Span | undefined, err: unknown): void {
  if (!span) return;
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
}
