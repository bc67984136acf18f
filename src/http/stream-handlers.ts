// Thin handlers for /v1/streams operations, named by operationId.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { compareIds } from '../util/stream-ids.js';
import { failSpan, requestContext, startIngestSpan, traceparentOf } from '../telemetry/tracing.js';
import { telemetry } from '../telemetry/metrics.js';
import { DeferredEvents } from '../ingest/formats/deferred.js';
import { publicStreamConfig, type StreamConfigInput } from '../streams/stream-config.js';
import { retireStreamFolder } from '../archive/layout.js';

type StreamParams = { Params: { stream: string } };

export async function listStreams(req: FastifyRequest) {
  const streams = await req.server.sg.registry.list();
  return { streams: streams.filter((s) => req.grants.stream(s.name)).map(publicStreamConfig) };
}

export async function putStream(req: FastifyRequest<StreamParams & { Body: StreamConfigInput }>) {
  const config = await req.server.sg.registry.put(req.params.stream, req.body);
  return publicStreamConfig(config);
}

export async function getStream(req: FastifyRequest<StreamParams>) {
  const { registry } = req.server.sg;
  req.grants.requireStream(req.params.stream);
  const config = await registry.get(req.params.stream);
  if (!config) throw new AppError('SG_ERR_STREAM_NOT_FOUND', `stream "${req.params.stream}" does not exist`);
  const partitionInfo = await registry.partitionInfo(config);
  const ids = partitionInfo.flatMap((p) => [p.firstEntryId, p.lastEntryId]).filter((x): x is string => x !== null);
  ids.sort(compareIds);
  return {
    ...publicStreamConfig(config),
    length: partitionInfo.reduce((n, p) => n + p.length, 0),
    firstEntryId: ids[0] ?? null,
    lastEntryId: ids[ids.length - 1] ?? null,
    partitionInfo,
  };
}

export async function deleteStream(req: FastifyRequest<StreamParams>, reply: FastifyReply) {
  const users = (await req.server.sg.queryRegistry.list()).filter((q) => q.stream === req.params.stream);
  const live = users.filter((q) => q.status !== 'deleting');
  if (live.length > 0) {
    throw new AppError('SG_ERR_CONFLICT', `stream "${req.params.stream}" is read by ${live.length} quer${live.length === 1 ? 'y' : 'ies'} (${live.map((q) => q.id).join(', ')}); delete them first`);
  }
  if (users.length > 0) {
    // Their groups live in the stream's partitions: deleting it now would race the reclaim.
    throw new AppError('SG_ERR_CONFLICT', `stream "${req.params.stream}" still holds the consumer groups of ${users.length} deleted quer${users.length === 1 ? 'y' : 'ies'} being reclaimed (${users.map((q) => q.id).join(', ')}); retry in a few seconds`, { retryAfterSeconds: 2 });
  }
  const deleted = await req.server.sg.registry.delete(req.params.stream);
  if (!deleted) throw new AppError('SG_ERR_STREAM_NOT_FOUND', `stream "${req.params.stream}" does not exist`);
  const archive = req.server.sg.config.archiveDir;
  if (archive) {
    const aside = await retireStreamFolder(archive, req.params.stream);
    if (aside) req.log.info({ stream: req.params.stream, archive: aside }, 'the deleted stream\'s archive was moved aside');
  }
  return reply.code(204).send();
}

export async function ingestEvents(
  req: FastifyRequest<StreamParams & { Body: unknown; Headers: { 'idempotency-key'?: string; traceparent?: string } }>,
  reply: FastifyReply,
) {
  const { ingest, memoryGuard, ingestQuota } = req.server.sg;
  req.grants.requireStream(req.params.stream);
  memoryGuard.check();
  // CSV and Protobuf bodies are typed or decoded by the stream's config (src/ingest/formats).
  const deferred = req.body instanceof DeferredEvents ? req.body : undefined;
  const events = deferred ? await deferred.events(req.server.sg.registry, req.params.stream) : Array.isArray(req.body) ? (req.body as unknown[]) : [req.body];
  if (ingestQuota.enabled) await ingestQuota.take(req.apiKeyLabel ?? req.ip, events.length);
  // @fastify/otel runs handlers inside the request's context; without it the header is the parent.
  const span = startIngestSpan(requestContext(undefined, req.headers), req.params.stream, events.length);
  try {
    const result = await ingest.ingest({
      stream: req.params.stream,
      events,
      idempotencyKey: req.headers['idempotency-key'],
      principal: req.apiKeyLabel,
      // Each entry carries the ingest span's context (or, with tracing off, the caller's).
      traceparent: traceparentOf(span) ?? validTraceparent(req.headers.traceparent),
    });
    if (result.ids.length === 1) span.setAttribute('messaging.message.id', result.ids[0]!);
    telemetry().eventsIngested.add(result.replayed ? 0 : result.ids.length, { stream: req.params.stream });
    if (result.replayed) void reply.header('idempotent-replayed', 'true');
    // Returning the payload, not the reply: awaiting a reply waits on the socket through one more promise.
    void reply.code(201);
    return result.partitions ? { ids: result.ids, partitions: result.partitions } : { ids: result.ids };
  } catch (err) {
    failSpan(span, err);
    throw deferred ? deferred.withLines(err) : err;
  } finally {
    span.end();
  }
}

// W3C Trace Context: version 00, non-zero trace and span ids, flags. Anything else is not stored.
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const validTraceparent = (v: string | undefined): string | undefined => (v !== undefined && TRACEPARENT.test(v) ? v : undefined);
