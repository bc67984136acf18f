// Opt-in CORS (CORS_ORIGINS): browser apps on other origins may call the REST API with a key.
// Off by default, so a page elsewhere cannot read a gateway on localhost through a visitor's browser.
import fp from 'fastify-plugin';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

async function corsPlugin(app: FastifyInstance): Promise<void> {
  const origins = app.sg.config.corsOrigins;
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? true : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'traceparent', 'tracestate', 'last-event-id'],
    exposedHeaders: ['retry-after', 'location', 'traceparent'],
    maxAge: 600,
  });
}

export default fp(corsPlugin, { name: 'cors', fastify: '5.x', dependencies: ['services'] });
