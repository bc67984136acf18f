// Where browsers put the API key when they cannot send an Authorization header (WebSocket, EventSource).
import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
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
  const token = tokens.get(req.raw);
  return token ? `Bearer ${token}` : undefined;
}

// access_token values taken out of request URLs, so that no log line ever shows a key.
const tokens = new WeakMap<IncomingMessage, string>();
const TOKEN_PARAM = /([?&])access_token=([^&]*)/g;

/**
 * Fastify's rewriteUrl: removes every `access_token` from the URL (before routing and logging:
 * a second one must not reach the logs either) and keeps the first aside.
 */
export function stripAccessToken(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('access_token=', q)) return url;
  const found = [...url.slice(q).matchAll(TOKEN_PARAM)];
  if (found.length === 0) return url;
  let token = found[0]![2]!;
  try {
    token = decodeURIComponent(token);
  } catch {
    // not valid percent-encoding: use it as sent (it will simply not match a key)
  }
  tokens.set(req, token);
  const rest = url.slice(q + 1).split('&').filter((p) => p !== '' && !p.startsWith('access_token='));
  const stripped = url.slice(0, q) + (rest.length ? `?${rest.join('&')}` : '');
  (req as IncomingMessage & { originalUrl?: string }).originalUrl = stripped;
  return stripped;
}
