// The live-results protocol: message shapes (server → client and client → server) and close codes.
import type { Row } from '../engine/index.js';

/** WebSocket close codes the server uses; documented in the README. */
export const CLOSE = {
  /** The process is shutting down: reconnect (to any process) and resume from the last offset. */
  GOING_AWAY: 1001,
  /** Policy: the key's subscription limit was reached after the upgrade (a race for the last slot). */
  POLICY: 1008,
  /** A client message was larger than WS_MAX_MESSAGE_BYTES. */
  TOO_BIG: 1009,
  /** The client fell more than WS_HARD_LIMIT messages behind: resume from the last offset. */
  SLOW_CONSUMER: 4008,
  /** The query was deleted while subscribed. */
  QUERY_GONE: 4404,
} as const;

/** Codes of `error` messages. */
export const PUSH_ERRORS = {
  SG_ERR_OFFSET_EXPIRED: 'the offset is older than the retained changes; a fresh snapshot follows',
  SG_ERR_BAD_OFFSET: 'the offset is malformed or ahead of the changes stream; a fresh snapshot follows',
  SG_ERR_QUERY_NOT_FOUND: 'no such query',
  SG_ERR_QUERY_DELETED: 'the query was deleted',
  SG_ERR_BAD_MESSAGE: 'the message is not a valid subscribe or unsubscribe',
  SG_ERR_BAD_FILTER: 'the filter is malformed',
  SG_ERR_TOO_MANY_SUBSCRIPTIONS: 'this API key holds the maximum number of subscriptions',
  SG_ERR_SLOW_CONSUMER: 'the client fell too far behind; resume from the last offset',
  SG_ERR_INTERNAL: 'an internal error occurred; resume from the last offset',
} as const;

export type PushErrorCode = keyof typeof PUSH_ERRORS;

export interface SnapshotMessage {
  type: 'snapshot';
  query?: string;
  rows: Row[];
  /** The row key of each row, in the same order, so that changes can be applied by key. */
  keys: string[];
  /** Per row, whether it is final (a closed window's last version); absent when none is. */
  final?: boolean[];
  /** Large snapshots come in pages: false on every page but the last. */
  last: boolean;
  /** On the last page only: where the changes that follow start. */
  offset?: string;
}

export interface ChangeMessage {
  type: 'change';
  query?: string;
  op: 'upsert' | 'delete';
  key: string;
  row: Row;
  offset: string;
  final: boolean;
}

export interface HeartbeatMessage {
  type: 'heartbeat';
  time: string;
}

export interface ErrorMessage {
  type: 'error';
  query?: string;
  code: PushErrorCode;
  message: string;
}

/** Acknowledges an unsubscribe on the multiplexed socket. */
export interface UnsubscribedMessage {
  type: 'unsubscribed';
  query: string;
}

export type ServerMessage = SnapshotMessage | ChangeMessage | HeartbeatMessage | ErrorMessage | UnsubscribedMessage;

/** Client → server on `GET /v1/ws`. */
export type ClientMessage =
  | { type: 'subscribe'; query: string; from?: string; where?: string; filter?: string }
  | { type: 'unsubscribe'; query: string };

const QUERY_ID = /^q_[0-9a-f]{16}$/;

/** Validates a parsed client message; undefined when it is not one. */
export function toClientMessage(v: unknown): ClientMessage | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const m = v as Record<string, unknown>;
  if (typeof m.query !== 'string' || !QUERY_ID.test(m.query)) return undefined;
  if (m.type === 'unsubscribe') return { type: 'unsubscribe', query: m.query };
  if (m.type !== 'subscribe') return undefined;
  if (m.from !== undefined && typeof m.from !== 'string') return undefined;
  if (m.filter !== undefined && typeof m.filter !== 'string') return undefined;
  if (m.where !== undefined && typeof m.where !== 'string') return undefined;
  return { type: 'subscribe', query: m.query, ...(m.from ? { from: m.from } : {}), ...(m.where ? { where: m.where } : {}), ...(m.filter ? { filter: m.filter } : {}) };
}

export function errorMessage(code: PushErrorCode, query?: string, detail?: string): string {
  const msg: ErrorMessage = { type: 'error', ...(query ? { query } : {}), code, message: detail ?? PUSH_ERRORS[code] };
  return JSON.stringify(msg);
}

/** The WebSocket subprotocol the server selects when a client offers it. */
export const SUBPROTOCOL = 'streamgate.v1';

/** Prefix of the subprotocol that carries an API key from browsers: `bearer.<key>`. */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';
