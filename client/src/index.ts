// @streamgate/client: live results (snapshot, changes, resume by offset) and a few pull helpers.
export { LiveClient, type LiveClientOptions } from './live-client.js';
export type { LiveSocket, Transport } from './socket.js';
export { fetchResults, listQueries, request, StreamgateError, type PullOptions, type Problem, type QueryInfo } from './pull.js';
export { CLOSE, SUBPROTOCOL, BEARER_PROTOCOL_PREFIX } from './messages.js';
export type { Row, SnapshotMessage, ChangeMessage, HeartbeatMessage, ErrorMessage, UnsubscribedMessage, ServerMessage, PushErrorCode } from './messages.js';

export const VERSION = '0.1.0';
