// @fastify/websocket: inbound size limit, the `streamgate.v1` subprotocol, and close 1001 on shutdown.
import fp from 'fastify-plugin';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { CLOSE, SUBPROTOCOL } from '../../src/push/messages.js';

async function ws(app: FastifyInstance): Promise<void> {
  await app.register(websocket, {
    options: {
      maxPayload: app.sg.config.push.maxMessageBytes,
      // Browsers that carry their key as a `bearer.<key>` subprotocol must also offer ours, and only
      // ours is echoed, so the key never comes back in a response header.
      handleProtocols: (protocols: Set<string>) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    },
    // Going away (1001) tells clients to reconnect, to any process, and resume from their offset.
    preClose(done) {
      for (const client of app.websocketServer.clients) {
        client.close(CLOSE.GOING_AWAY, 'server shutting down');
        // A client that does not answer the close (it stopped reading) must not hold up shutdown.
        setTimeout(() => client.terminate(), 2_000).unref();
      }
      app.websocketServer.close(() => done());
    },
  });
}

export default fp(ws, { name: 'websocket', fastify: '5.x', dependencies: ['services'] });
