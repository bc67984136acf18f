// Sinks over the two transports: a WebSocket (one message or array per frame) and an SSE response.
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { Sink } from './outbox.js';

/** How long a closing socket may take to finish its close handshake before it is cut. */
const CLOSE_GRACE_MS = 2_000;

/**
 * A WebSocket sink. Every heartbeat it pings; a peer that answers no ping for the timeout is gone
 * (a dropped network answers nothing and sends no FIN), so its subscriptions are freed then
 * instead of when TCP gives up, many minutes later.
 */
export function wsSink(socket: WebSocket): Sink {
  let lastPong = Date.now();
  socket.on('pong', () => (lastPong = Date.now()));
  return {
    probe: (timeoutMs) => {
      if (Date.now() - lastPong > timeoutMs) return false;
      socket.ping();
      return true;
    },
    cut: () => socket.terminate(),
    bufferedBytes: () => socket.bufferedAmount,
    // A shared frame is a Buffer: still a text frame, each message JSON.
    send: (frame, written) => socket.send(frame, { binary: false }, () => written()),
    close: (code, reason) => {
      socket.close(code, reason);
      // A client that never reads never answers the close either: free its buffers regardless.
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    },
  };
}

/** Each message becomes an SSE event named by its type, with its offset as the event id. */
export function sseSink(res: ServerResponse): Sink {
  return {
    bufferedBytes: () => res.writableLength,
    send: (data, written) => {
      const frame = typeof data === 'string' ? data : data.toString('utf8');
      const msg = JSON.parse(frame) as { type: string; offset?: string };
      // A snapshot page before the last one carries an empty id: a reconnect cut off mid-snapshot
      // then sends no Last-Event-ID and gets a fresh snapshot instead of changes on partial rows.
      const id = msg.offset ? `id: ${msg.offset}\n` : msg.type === 'snapshot' ? 'id:\n' : '';
      res.write(`event: ${msg.type}\n${id}data: ${frame}\n\n`, () => written());
    },
    close: () => {
      res.end();
      setTimeout(() => res.destroy(), CLOSE_GRACE_MS).unref();
    },
  };
}
