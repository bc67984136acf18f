// The live-results wire protocol as the gateway speaks it (a copy, so that this package needs no
// server code; kept in agreement with the server's src/push/messages.ts and the README).

/** A result row: output column name to value. */
export type Row = Record<string, unknown>;

/** WebSocket close codes the gateway uses. */
export const CLOSE = {
  /** The process is shutting down: reconnect (to any process) and resume from the last offset. */
  GOING_AWAY: 1001,
  /** The key's subscription limit was reached after the upgrade, or too many client messages. */
  POLICY: 1008,
  /** A client message was larger than WS_MAX_MESSAGE_BYTES. */
  TOO_BIG: 1009,
  /** The client fell too far behind: resume from the last offset. */
  SLOW_CONSUMER: 4008,
  /** The query was deleted while subscribed. */
  QUERY_GONE: 4404,
} as const;

/** Codes of `error` messages. */
export type PushErrorCode =
  | 'SG_ERR_OFFSET_EXPIRED'
  | 'SG_ERR_BAD_OFFSET'
  | 'SG_ERR_QUERY_NOT_FOUND'
  | 'SG_ERR_QUERY_DELETED'
  | 'SG_ERR_BAD_MESSAGE'
  | 'SG_ERR_BAD_FILTER'
  | 'SG_ERR_TOO_MANY_SUBSCRIPTIONS'
  | 'SG_ERR_SLOW_CONSUMER'
  | 'SG_ERR_INTERNAL';

export interface SnapshotMessage<R = Row> {
  type: 'snapshot';
  query?: string;
  rows: R[];
  /** The row key of each row, in the same order. */
  keys: string[];
  /** Per row, whether it is final (a closed window's last version); absent when none is. */
  final?: boolean[];
  /** Large snapshots come in pages: false on every page but the last. */
  last: boolean;
  /** On the last page only: where the changes that follow start. */
  offset?: string;
}

export interface ChangeMessage<R = Row> {
  type: 'change';
  query?: string;
  op: 'upsert' | 'delete';
  /** JSON of the group values and window. */
  key: string;
  row: R;
  offset: string;
  /** The last version of a closed window. */
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

export type ServerMessage<R = Row> = SnapshotMessage<R> | ChangeMessage<R> | HeartbeatMessage | ErrorMessage | UnsubscribedMessage;

/** The WebSocket subprotocol the gateway selects when a client offers it. */
export const SUBPROTOCOL = 'streamgate.v1';

/** Prefix of the subprotocol that carries an API key where headers cannot be sent: `bearer.<key>`. */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';
