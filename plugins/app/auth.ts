// Checks the API key before the body is read, using the scope the OpenAPI operation declares (x-scope).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { ApiKeyAuth } from '../../src/http/api-key-auth.js';
import type { Scope } from '../../src/config.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Label of the authenticated key (never the key), or undefined when auth is off. */
    apiKeyLabel: string | undefined;
  }
}

async function auth(app: FastifyInstance): Promise<void> {
  const keys = new ApiKeyAuth(app.sg.config.apiKeys);
  app.decorateRequest('apiKeyLabel', undefined);
  if (!keys.enabled) return;
  app.addHook('onRequest', async (req) => {
    const scope = (req.routeOptions.schema as Record<string, unknown> | undefined)?.['x-scope'] as Scope | undefined;
    if (!scope) return; // health, docs and unknown routes need no key
    req.apiKeyLabel = keys.authorize(req.headers.authorization, scope).label;
  });
}

export default fp(auth, { name: 'auth', fastify: '5.x', dependencies: ['services'] });
