// Thin handlers for live results: subscribeQuery and openSocket (WebSocket), streamQueryEvents (SSE).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AppError } from '../errors.js';
import type { QueryDefinition } from '../runtime/query-definition.js';
import { parseFilter, type RowFilter } from '../runtime/row-filter.js';
import { parseWhere } from './where-param.js';
import { decodeOffset } from '../push/offsets.js';
import { PushSession, type SessionLimits } from '../push/session.js';
import { CLOSE, toClientMessage, errorMessage } from '../push/messages.js';
import { wsSink, sseSink } from '../push/sinks.js';
import { originAllowed } from './host-guard.js';
import type { Slot } from '../access/shared-slots.js';

type IdParams = { Params: { id: string }; Querystring: { from?: string; where?: string; filter?: string; batch?: boolean } };

interface Plan {
  def: QueryDefinition;
  from: string | undefined;
  filter: RowFilter;
  /** The subscription quota slot, taken before the upgrade so a refusal is an HTTP 429. */
  slot: Slot;
}

// What the pre-upgrade checks found, handed to the WebSocket handler that runs after the 101.
const plans = new WeakMap<FastifyRequest, Plan>();

function limitsOf(req: FastifyRequest, batch: boolean): SessionLimits {
  const p = req.server.sg.config.push;
  return { soft: p.softLimit, hard: p.hardLimit, highWaterBytes: p.highWaterBytes, batch, maxBatch: p.maxBatch, heartbeatMs: p.heartbeatMs, stallMs: p.stallMs, pingTimeoutMs: p.pingTimeoutMs, maxSubscriptionsPerKey: p.maxSubscriptionsPerKey };
}

const labelOf = (req: FastifyRequest) => req.apiKeyLabel ?? req.ip;

/**
 * Browsers always send Origin; other clients usually do not, and are not subject to CORS anyway.
 * Without WS_ALLOWED_ORIGINS only the gateway's own origin may subscribe (a page elsewhere cannot
 * read results cross-site).
 */
export async function checkOrigin(req: FastifyRequest): Promise<void> {
  const allowed = req.server.sg.config.push.allowedOrigins;
  const origin = req.headers.origin;
  if (origin && !originAllowed(origin, req.headers.host, allowed)) {
    throw new AppError('SG_ERR_ORIGIN_FORBIDDEN', allowed.length ? `origin ${origin} is not in WS_ALLOWED_ORIGINS` : `origin ${origin} is not this gateway's; list it in WS_ALLOWED_ORIGINS`);
  }
}

/**
 * A push connection holds one of its key's QUOTA_CONNECTIONS_PER_KEY slots (on every process
 * together) until its TCP connection closes, also when the upgrade never completes.
 */
export async function takeConnection(req: FastifyRequest): Promise<Slot | undefined> {
  const max = req.server.sg.config.quotas.connections;
  if (max <= 0) return undefined;
  const slot = await req.server.push.connectionSlots.take(labelOf(req), max);
  if (!slot) throw new AppError('SG_ERR_QUOTA_EXCEEDED', `at most ${max} live-result connections per API key on all processes (QUOTA_CONNECTIONS_PER_KEY); close one first`, { retryAfterSeconds: 5 });
  holdUntilClosed(req, slot);
  connections.set(req, slot);
  return slot;
}

// The connection slot each push request holds, released when its WebSocket or SSE stream ends.
const connections = new WeakMap<FastifyRequest, Slot>();
const releaseConnection = (req: FastifyRequest) => connections.get(req)?.release();

function holdUntilClosed(req: FastifyRequest, slot: Slot): void {
  const socket = req.raw.socket;
  if (socket.destroyed) slot.release();
  else socket.once('close', () => slot.release());
}

async function openPrepare(req: FastifyRequest): Promise<void> {
  await checkOrigin(req);
  // A plain GET gets its 426 holding nothing.
  if (req.ws) await takeConnection(req);
}

async function prepareSocket(req: FastifyRequest<IdParams>): Promise<void> {
  if (!req.ws) return upgradeRequired();
  await prepare(req);
}

/** Everything that can refuse a one-query subscription, answered as HTTP before any upgrade. */
async function prepare(req: FastifyRequest<IdParams>): Promise<void> {
  await checkOrigin(req);
  const def = await req.server.sg.queries.require(req.params.id, req.grants);
  const filter = req.query.where !== undefined || req.query.filter === undefined ? parseWhere(req.query.where) : parseWhere(req.query.filter, 'querystring.filter');
  const lastEventId = req.headers['last-event-id'];
  const from = req.query.from ?? (typeof lastEventId === 'string' && lastEventId ? lastEventId : undefined);
  if (from !== undefined && !decodeOffset(from, def.partitions)) {
    throw new AppError('SG_ERR_VALIDATION', `"${from}" is not an offset of this query (an id such as 1767225600000-0 per partition, comma-separated)`, { errors: [{ field: 'querystring.from', message: 'not an offset' }] });
  }
  const connection = await takeConnection(req);
  const p = req.server.sg.config.push;
  const slot = await req.server.push.subscriptionSlots.take(labelOf(req), p.maxSubscriptionsPerKey);
  if (!slot) {
    connection?.release();
    throw new AppError('SG_ERR_TOO_MANY_SUBSCRIPTIONS', `at most ${p.maxSubscriptionsPerKey} subscriptions per API key on all processes (WS_MAX_SUBSCRIPTIONS_PER_KEY)`);
  }
  // Released by the session's end; also by the socket's close should the upgrade never happen.
  holdUntilClosed(req, slot);
  plans.set(req, { def, from, filter, slot });
}

export async function upgradeRequired(): Promise<never> {
  throw new AppError('SG_ERR_UPGRADE_REQUIRED', 'this endpoint is a WebSocket: send an Upgrade: websocket request');
}

/** `GET /v1/queries/{id}/subscribe`: one query per socket. */
export const subscribeQuery = {
  preHandler: prepareSocket,
  handler: upgradeRequired,
  wsHandler(socket: WebSocket, req: FastifyRequest<IdParams>): void {
    const plan = plans.get(req)!;
    const session = new PushSession(wsSink(socket), req.server.push.hub, req.server.push.subscriptionSlots, limitsOf(req, req.query.batch === true), req.log, labelOf(req), false);
    socket.on('close', () => {
      session.end();
      releaseConnection(req);
    });
    void session.subscribe(plan.def, plan.from, plan.filter, plan.slot);
  },
};

/** `GET /v1/ws`: one socket, many queries, driven by subscribe/unsubscribe messages. */
export const openSocket = {
  preHandler: openPrepare,
  handler: upgradeRequired,
  wsHandler(socket: WebSocket, req: FastifyRequest<{ Querystring: { batch?: boolean } }>): void {
    const session = new PushSession(wsSink(socket), req.server.push.hub, req.server.push.subscriptionSlots, limitsOf(req, req.query.batch === true), req.log, labelOf(req), true);
    socket.on('close', () => {
      session.end();
      releaseConnection(req);
    });
    // Each message may start a snapshot read: a client gets WS_MAX_MESSAGES_PER_SECOND, then is closed.
    const max = req.server.sg.config.push.maxMessagesPerSecond;
    let windowStart = Date.now();
    let inWindow = 0;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const now = Date.now();
      if (now - windowStart >= 1_000) {
        windowStart = now;
        inWindow = 0;
      }
      if (++inWindow > max) {
        session.closeWith(CLOSE.POLICY, 'too many messages', errorMessage('SG_ERR_BAD_MESSAGE', undefined, `more than ${max} messages in one second (WS_MAX_MESSAGES_PER_SECOND)`));
        return;
      }
      void onClientMessage(req, session, isBinary ? undefined : data.toString('utf8'));
    });
  },
};

async function onClientMessage(req: FastifyRequest, session: PushSession, text: string | undefined): Promise<void> {
  let parsed: unknown;
  try {
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined; // not JSON: answered as a bad message below
  }
  const msg = toClientMessage(parsed);
  if (!msg) return session.outbox.push(errorMessage('SG_ERR_BAD_MESSAGE'));
  if (msg.type === 'unsubscribe') {
    if (session.unsubscribe(msg.query)) session.outbox.push(JSON.stringify({ type: 'unsubscribed', query: msg.query }));
    return;
  }
  const def = await req.server.sg.queryRegistry.get(msg.query);
  // A query this key may not see is answered as one that does not exist.
  if (!def || def.status === 'deleting' || !req.grants.query(def)) return session.outbox.push(errorMessage('SG_ERR_QUERY_NOT_FOUND', msg.query));
  let filter: RowFilter;
  try {
    filter = parseFilter(msg.where ?? msg.filter);
  } catch (err) {
    return session.outbox.push(errorMessage('SG_ERR_BAD_FILTER', msg.query, (err as Error).message));
  }
  await session.subscribe(def, msg.from, filter);
}

/** `GET /v1/queries/{id}/events`: the same stream as Server-Sent Events, resumed by Last-Event-ID. */
export const streamQueryEvents = {
  preHandler: prepare,
  handler(req: FastifyRequest<IdParams>, reply: FastifyReply): void {
    const plan = plans.get(req)!;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const session = new PushSession(sseSink(res), req.server.push.hub, req.server.push.subscriptionSlots, limitsOf(req, false), req.log, labelOf(req), false);
    const sse = req.server.push.sse;
    sse.add(session);
    res.on('close', () => {
      sse.delete(session);
      session.end();
      releaseConnection(req);
    });
    void session.subscribe(plan.def, plan.from, plan.filter, plan.slot);
  },
};
