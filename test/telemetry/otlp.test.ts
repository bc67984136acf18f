// Spans reach a real OTLP/HTTP receiver when the gateway is configured only through OTEL_*
// variables, over http/protobuf and over http/json.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startGateway } from '../helpers/gateway.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { waitUntil } from '../helpers/wait.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  t.test(`OTLP over ${protocol}: ingest, process and commit spans arrive, linked`, async (t) => {
    const r = await startRedis(t);
    const receiver = await startOtlpReceiver();
    t.teardown(() => receiver.close());
    const gw = await startGateway(
      {
        REDIS_URL: r.url, REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', LEASE_TTL: '2s',
        OTEL_SERVICE_NAME: 'streamgate-test', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none',
      },
      { telemetry: true },
    );
    t.teardown(() => gw.kill());
    const q = await fetch(`${gw.url}/v1/queries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k', start: 'earliest' }) });
    t.equal(q.status, 201);
    const id = ((await q.json()) as { id: string }).id;
    const res = await fetch(`${gw.url}/v1/streams/s/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ k: 'a' }),
    });
    t.equal(res.status, 201);
    const spans = await waitUntil('spans at the receiver', async () => {
      const ingest = receiver.spans.find((s) => s.name === 'ingest s' && s.traceId === TRACE_ID);
      const process = ingest && receiver.spans.find((s) => s.name === `process ${id}` && s.links.some((l) => l.spanId === ingest.spanId));
      const commit = process && receiver.spans.find((s) => s.name === `commit ${id}` && s.parentSpanId === process.spanId);
      return ingest && process && commit ? { ingest, process, commit } : undefined;
    }, 20_000, 100);
    t.equal(spans.ingest.service, 'streamgate-test', 'service name from OTEL_SERVICE_NAME');
    t.equal(spans.ingest.kind, 4, 'ingest is a PRODUCER span');
    t.equal(spans.process.kind, 5, 'process is a CONSUMER span');
    t.ok(receiver.spans.some((s) => s.traceId === TRACE_ID && s.name !== 'ingest s'), 'HTTP server spans continue the incoming trace');
    t.ok([...receiver.contentTypes].some((c) => c.includes(protocol === 'http/json' ? 'json' : 'protobuf')), `sent as ${protocol}`);
  });
}

t.test('log lines inside a traced request carry trace_id and span_id', async (t) => {
  const r = await startRedis(t);
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.close());
  const gw = await startGateway(
    { REDIS_URL: r.url, LOG_LEVEL: 'info', OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRICS_EXPORTER: 'none' },
    { telemetry: true },
  );
  t.teardown(() => gw.kill());
  await fetch(`${gw.url}/v1/streams/s/events`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }, body: '{"a":1}' });
  const line = await waitUntil('a request log line with the trace id', async () =>
    gw.output().split('\n').find((l) => l.includes('"request completed"') && l.includes(TRACE_ID)));
  t.match(JSON.parse(line), { trace_id: TRACE_ID, span_id: /^[0-9a-f]{16}$/ });
});

t.test('OTEL_TRACES_EXPORTER=console prints the spans', async (t) => {
  const r = await startRedis(t);
  const gw = await startGateway(
    { REDIS_URL: r.url, LOG_LEVEL: 'warn', OTEL_TRACES_EXPORTER: 'console', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
    { telemetry: true },
  );
  t.teardown(() => gw.kill());
  const res = await fetch(`${gw.url}/v1/streams/printed/events`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }, body: '{"a":1}' });
  t.equal(res.status, 201);
  await waitUntil('the ingest span on stdout', async () => gw.output().includes("name: 'ingest printed'") || undefined, 10_000, 50);
  t.ok(gw.output().includes(`traceId: '${TRACE_ID}'`), 'with the continued trace id');
});

t.test('the sampler comes from OTEL_TRACES_SAMPLER: always_off exports no span, metrics still work', async (t) => {
  const r = await startRedis(t);
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.close());
  const gw = await startGateway(
    { REDIS_URL: r.url, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'always_off', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none' },
    { telemetry: true },
  );
  t.teardown(() => gw.kill());
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${gw.url}/v1/streams/quiet/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    t.equal(res.status, 201);
  }
  // A span exported after a 100 ms batch delay would be there well within a second.
  await new Promise((ok) => setTimeout(ok, 1_000));
  t.equal(receiver.spans.length, 0, 'no span exported');
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  t.match(metrics, /streamgate_events_ingested_total\{[^}]*stream="quiet"[^}]*\} 5/, 'the ingest counter still counts');
});

t.test('a caller\'s sampled flag does not force a sample: the server\'s ratio decides, and a sampled trace is continued', async (t) => {
  const r = await startRedis(t);
  const receiver = await startOtlpReceiver();
  t.teardown(() => receiver.close());
  const env = { REDIS_URL: r.url, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' };
  const never = await startGateway({ ...env, OTEL_TRACES_SAMPLER_ARG: '0' }, { telemetry: true });
  t.teardown(() => never.kill());
  const sampled = (i: number) => `00-${TRACE_ID.slice(0, 30)}${String(i).padStart(2, '0')}-b7ad6b7169203331-01`;
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${never.url}/v1/streams/forced/events`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: sampled(i) }, body: '{"a":1}' });
    t.equal(res.status, 201);
  }
  await new Promise((ok) => setTimeout(ok, 1_000));
  t.equal(receiver.spans.length, 0, 'ratio 0: five requests that asked to be sampled exported nothing');

  const always = await startGateway({ ...env, OTEL_TRACES_SAMPLER_ARG: '1' }, { telemetry: true });
  t.teardown(() => always.kill());
  const res = await fetch(`${always.url}/v1/streams/forced/events`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: sampled(7) }, body: '{"a":1}' });
  t.equal(res.status, 201);
  const ingest = await waitUntil('the ingest span', async () => receiver.spans.find((s) => s.name === 'ingest forced'), 10_000, 50);
  t.equal(ingest.traceId, `${TRACE_ID.slice(0, 30)}07`, 'ratio 1: the caller\'s trace is continued');
});
