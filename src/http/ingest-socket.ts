// `GET /v1/streams/{stream}/ingest`: events over a WebSocket for high-rate producers. Refusals
// (key, scope, stream grant, Origin, connection quota) are HTTP answers before any 101.
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { checkOrigin, takeConnection, upgradeRequired } from './push-handlers.js';
import { WsIngestSession, WS_INGEST_MAX_INFLIGHT } from '../ingest/ws-ingest.js';
import { defaultBodyLimits } from './parse-body.js';
import { telemetry } from '../telemetry/metrics.js';
import { wsSink } from '../push/sinks.js';

type StreamParams = { Params: { stream: string } };

async function prepare(req: FastifyRequest<StreamParams>): Promise<void> {
  if (!req.ws) return upgradeRequired();
  req.grants.requireStream(req.params.stream);
  await checkOrigin(req);
  await takeConnection(req);
}

/**
 * The server-wide inbound limit is WS_MAX_MESSAGE_BYTES (subscribe messages are small); an ingest
 * message may be as large as an HTTP body. ws keeps the limit on each socket's receiver, read
 * frame by frame, so raising it here, before the first frame is parsed, applies to this socket only.
 */
function allowMessagesUpTo(socket: WebSocket, bytes: number): boolean {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') return false;
  receiver._maxPayload = bytes;
  return true;
}

/**
 * A producer whose network dropped sends no FIN: pinged every heartbeat through the push sockets'
 * own liveness probe, and cut when it answers none for the timeout, so its connection slot
 * (QUOTA_CONNECTIONS_PER_KEY) is freed now and not when TCP gives up, many minutes later.
 */
function keepAlive(socket: WebSocket, everyMs: number, timeoutMs: number): void {
  const sink = wsSink(socket);
  const timer = setInterval(() => {
    if (!sink.probe!(timeoutMs)) sink.cut!();
  }, everyMs);
  timer.unref();
  socket.once('close', () => clearInterval(timer));
}

export const ingestSocket = {
  preHandler: prepare,
  handler: upgradeRequired,
  wsHandler(socket: WebSocket, req: FastifyRequest<StreamParams>): void {
    const { config, ingest, memoryGuard, ingestQuota } = req.server.sg;
    const stream = req.params.stream;
    if (!allowMessagesUpTo(socket, config.bodyLimitBytes)) req.log.warn('ws ingest: messages limited to WS_MAX_MESSAGE_BYTES (this ws version hides its receiver)');
    const principal = req.apiKeyLabel;
    keepAlive(socket, config.push.heartbeatMs, config.push.pingTimeoutMs);
    new WsIngestSession(socket, {
      limits: { ...defaultBodyLimits, maxItems: config.maxEventsPerRequest },
      maxInflight: WS_INGEST_MAX_INFLIGHT,
      async ingest(events, messageId) {
        memoryGuard.check();
        if (ingestQuota.enabled) await ingestQuota.take(principal ?? req.ip, events.length);
        // The message id is the Idempotency-Key, apart from HTTP's: a reconnecting client resends it unchanged.
        const result = await ingest.ingest({ stream, events, idempotencyKey: `ws:${messageId}`, principal, traceparent: undefined });
        telemetry().eventsIngested.add(result.replayed ? 0 : result.ids.length, { stream });
        return result;
      },
      onInternalError: (err) => req.log.error({ err, stream }, 'ws ingest: message failed'),
    });
  },
};
