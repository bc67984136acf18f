// A real OTLP/HTTP receiver for tests: accepts POST /v1/traces in http/protobuf or http/json and
// decodes the spans (name, ids, kind, links) it receives.
import { createServer, type Server } from 'node:http';
import protobuf from 'protobufjs';

export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
  links: { traceId: string; spanId: string }[];
  service: string;
}

// The subset of opentelemetry/proto/collector/trace/v1 that the test reads.
const PROTO = `
syntax = "proto3";
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
message KeyValue { string key = 1; AnyValue value = 2; }
message Resource { repeated KeyValue attributes = 1; }
message Link { bytes trace_id = 1; bytes span_id = 2; }
message Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6; repeated Link links = 13; }
message ScopeSpans { repeated Span spans = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
`;
const Request = protobuf.parse(PROTO).root.lookupType('ExportTraceServiceRequest');

const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString('hex') : typeof b === 'string' ? b : '');

interface Decoded {
  resourceSpans?: { resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] }; scopeSpans?: { spans?: { traceId?: unknown; spanId?: unknown; parentSpanId?: unknown; name?: string; kind?: number; links?: { traceId?: unknown; spanId?: unknown }[] }[] }[] }[];
}

function collect(body: Decoded, into: ReceivedSpan[]): void {
  for (const rs of body.resourceSpans ?? []) {
    const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? '';
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        into.push({
          name: s.name ?? '',
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          kind: s.kind ?? 0,
          links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
          service,
        });
      }
    }
  }
}

export async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; contentTypes: Set<string>; close: () => Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const contentTypes = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const type = String(req.headers['content-type'] ?? '');
      contentTypes.add(type);
      if (req.url === '/v1/traces') {
        if (type.includes('json')) collect(JSON.parse(body.toString()) as Decoded, spans);
        else collect(Request.toObject(Request.decode(body), { longs: Number, bytes: Uint8Array }), spans);
      }
      res.writeHead(200, { 'content-type': type.includes('json') ? 'application/json' : 'application/x-protobuf' });
      res.end(type.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, spans, contentTypes, close: () => new Promise((ok) => server.close(() => ok())) };
}
