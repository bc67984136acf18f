// Where browsers put the API key when they cannot send an Authorization header (WebSocket, EventSource).
import type { FastifyRequest } from 'fastify';
import { BEARER_PROTOCOL_PREFIX } from '../push/messages.js';

/**
 * The Authorization header, else (only on operations marked `x-browser-auth`) a `bearer.<key>`
 * WebSocket subprotocol or an `access_token` query parameter, as a Bearer header value.
 */
export function authorizationOf(req: FastifyRequest, browserAuth: boolean): string | undefined {
  if (req.headers.authorization || !browserAuth) return req.headers.authorization;
  const offered = req.headers['sec-websocket-protocol'];
  if (offered) {
    for (const p of offered.split(',')) {
      const v = p.trim();
      if (v.startsWith(BEARER_PROTOCOL_PREFIX)) return `Bearer ${v.slice(BEARER_PROTOCOL_PREFIX.length)}`;
    }
  }
  const token = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof token === 'string' && token ? `Bearer ${token}` : undefined;
}
