// One POSTed event carrying a traceparent: HTTP → ingest (PRODUCER) → process (CONSUMER, linked)
// → commit spans, with the messaging attributes, captured by an in-memory exporter.
import t from 'tap';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startRedis } from '../helpers/redis.js';
import { captureSpans } from '../helpers/spans.js';
import { startApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';

const exporter = captureSpans();

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

t.test('ingest → process (linked) → commit spans for one event', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms' }, undefined, true);
  const q = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM clicks GROUP BY k', start: 'earliest' } });
  t.equal(q.statusCode, 201);
  const id = q.json<{ id: string }>().id;
  exporter.reset();
  const res = await app.inject({ method: 'POST', url: '/v1/streams/clicks/events', headers: { traceparent: PARENT }, payload: { k: 'a' } });
  t.equal(res.statusCode, 201);
  const entryId = res.json<{ ids: string[] }>().ids[0]!;

  const spans = await waitUntil('process and commit spans', async () => {
    const all = exporter.getFinishedSpans();
    return all.some((s) => s.name === `commit ${id}`) ? all : undefined;
  });
  const byName = (name: string) => spans.filter((s: ReadableSpan) => s.name === name);
  const ingest = byName('ingest clicks')[0]!;
  t.ok(ingest, 'an ingest span');
  t.equal(ingest.kind, SpanKind.PRODUCER);
  t.equal(ingest.spanContext().traceId, TRACE_ID, 'the ingest span continues the incoming trace');
  t.match(ingest.attributes, { 'messaging.system': 'redis', 'messaging.destination.name': 'clicks', 'messaging.operation.type': 'send', 'messaging.message.id': entryId });
  const http = spans.find((s) => s.spanContext().traceId === TRACE_ID && s.spanContext().spanId !== ingest.spanContext().spanId && /POST|request/i.test(s.name));
  t.ok(http, `an HTTP server span in the same trace (${spans.map((s) => s.name).join(', ')})`);

  const stored = (await r.client.xRange('sg:{clicks#0}:events', entryId, entryId))![0]!;
  t.equal(stored.message.tp, `00-${TRACE_ID}-${ingest.spanContext().spanId}-01`, 'the entry carries the ingest span context');

  const process = byName(`process ${id}`).find((s) => s.links.some((l) => l.context.spanId === ingest.spanContext().spanId))!;
  t.ok(process, 'a process span linked to the ingest span');
  t.equal(process.kind, SpanKind.CONSUMER);
  t.not(process.spanContext().traceId, TRACE_ID, 'the process span starts its own trace (a batch has many producers)');
  t.match(process.attributes, { 'messaging.system': 'redis', 'messaging.destination.name': 'clicks', 'messaging.consumer.group.name': id, 'messaging.operation.type': 'process', 'messaging.batch.message_count': 1, 'streamgate.links.total': 1 });
  const commit = byName(`commit ${id}`).find((s) => s.parentSpanContext?.spanId === process.spanContext().spanId);
  t.ok(commit, 'a commit span, child of the process span');
  const change = (await r.client.xRange(`sg:{clicks#0}:q:${id}:changes`, '-', '+'))!.at(-1)!;
  t.equal(change.message.tp, `00-${process.spanContext().traceId}-${process.spanContext().spanId}-01`, 'the change carries the process span context for the push span');
  t.equal(change.message.a, stored.message.a, 'and the arrival time of its newest event, for push latency');
});

t.test('a batch links at most 128 producers and counts them all', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '1000' });
  // 200 single-event requests, each with its own ingest span, all stored before the query starts,
  // so its first batch (BATCH_SIZE 1000, start earliest) holds every one of them.
  for (let i = 0; i < 200; i++) await app.inject({ method: 'POST', url: '/v1/streams/many/events', headers: { traceparent: PARENT }, payload: { k: i % 3 } });
  exporter.reset();
  const q = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM many GROUP BY k', start: 'earliest' } });
  const id = q.json<{ id: string }>().id;
  const big = await waitUntil('a process span with many producers', async () =>
    exporter.getFinishedSpans().find((s) => s.name === `process ${id}` && Number(s.attributes['streamgate.links.total']) > 128));
  t.equal(big.links.length, 128, 'links capped');
  t.ok(Number(big.attributes['streamgate.links.total']) > 128, 'the total is an attribute');
});

t.test('the entries of one POST give the process span one link', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { LEASE_TTL: '2s', REGISTRY_POLL: '100ms', BLOCK_TIME: '50ms', BATCH_SIZE: '1000' });
  exporter.reset();
  const posted = await app.inject({ method: 'POST', url: '/v1/streams/one/events', headers: { traceparent: PARENT }, payload: Array.from({ length: 50 }, (_, i) => ({ k: i % 3 })) });
  t.equal(posted.statusCode, 201);
  const ingest = exporter.getFinishedSpans().find((s) => s.name === 'ingest one')!;
  const q = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM one GROUP BY k', start: 'earliest' } });
  const id = q.json<{ id: string }>().id;
  const process = await waitUntil('the process span of the 50 entries', async () =>
    exporter.getFinishedSpans().find((s) => s.name === `process ${id}` && s.attributes['messaging.batch.message_count'] === 50));
  t.equal(process.links.length, 1, 'one link, not 50 copies of it');
  t.equal(process.links[0]!.context.spanId, ingest.spanContext().spanId, 'to the ingest span');
  t.equal(process.attributes['streamgate.links.total'], 1);
});

t.test('an unsampled request stores the caller context, not an unexported span of ours', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, {});
  exporter.reset();
  const unsampled = `00-${TRACE_ID}-b7ad6b7169203331-00`;
  const res = await app.inject({ method: 'POST', url: '/v1/streams/quiet/events', headers: { traceparent: unsampled }, payload: { k: 'a' } });
  t.equal(res.statusCode, 201);
  t.notOk(exporter.getFinishedSpans().some((s) => s.name === 'ingest quiet'), 'the parent-based sampler left the ingest span out');
  const [entry] = (await r.client.xRange('sg:{quiet#0}:events', '-', '+'))!;
  t.equal(entry!.message.tp, unsampled, 'the entry carries what the caller sent');
});
