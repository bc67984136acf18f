// Checks the API key before the body is read, using the scope the OpenAPI operation declares (x-scope).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { ApiKeyAuth } from '../../src/http/api-key-auth.js';
import type { Scope } from '../../src/config.js';
import { authorizationOf } from '../../src/http/browser-auth.js';
import { AuthFailures } from '../../src/http/auth-failures.js';
import { checkHost } from '../../src/http/host-guard.js';
import { AppError } from '../../src/errors.js';
import { Grants } from '../../src/access/grants.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Label of the authenticated key (never the key), or undefined when auth is off. */
    apiKeyLabel: string | undefined;
    /** What the key may reach (streams, queries); everything while auth is off. */
    grants: Grants;
  }
}

async function auth(app: FastifyInstance): Promise<void> {
  const keys = new ApiKeyAuth(app.sg.config.apiKeys);
  app.decorateRequest('apiKeyLabel', undefined);
  // Set by the hooks below on every route that declares a scope (the only routes that read it).
  app.decorateRequest('grants', null as unknown as Grants);
  if (!keys.enabled) {
    // Auth off: only loopback (or ALLOWED_HOSTS) Host names reach the API (DNS-rebinding guard).
    const allowedHosts = app.sg.config.allowedHosts;
    app.addHook('onRequest', async (req) => {
      const schema = req.routeOptions.schema as Record<string, unknown> | undefined;
      if (!schema?.['x-scope']) return;
      checkHost(req.headers.host, allowedHosts);
      req.grants = Grants.everything;
    });
    return;
  }
  const failures = new AuthFailures(app.sg.redis, app.sg.config.authFailures);
  const grants = new Map(app.sg.config.apiKeys.map((k) => [k, Grants.of(k)]));
  app.addHook('onRequest', async (req) => {
    const schema = req.routeOptions.schema as Record<string, unknown> | undefined;
    const scope = schema?.['x-scope'] as Scope | undefined;
    if (!scope) return; // health, docs and unknown routes need no key
    // A blocked address is refused before its key is looked at.
    failures.check(req.ip);
    try {
      // onRequest runs before a WebSocket upgrade is answered, so a refused key never sees a 101.
      const key = keys.authorize(authorizationOf(req, schema?.['x-browser-auth'] === true), scope);
      req.apiKeyLabel = key.label;
      req.grants = grants.get(key)!;
    } catch (err) {
      if (err instanceof AppError && err.code === 'SG_ERR_UNAUTHORIZED') await failures.failed(req.ip);
      throw err;
    }
  });
}

export default fp(auth, { name: 'auth', fastify: '5.x', dependencies: ['services'] });
