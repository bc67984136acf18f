// Generates every route from openapi/openapi.yaml; handlers are looked up by operationId.
import fp from 'fastify-plugin';
import openapiGlue, { type FastifyOpenapiGlueOptions } from 'fastify-openapi-glue';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { serviceHandlers } from '../../src/http/service-handlers.js';
import { projectRoot } from '../../src/util/project-root.js';
import { AppError } from '../../src/errors.js';

export const SPEC_PATH = join(projectRoot(), 'openapi', 'openapi.yaml');

// glue's `serviceHandlers` binds every entry as a function; a resolver may also return route
// options, which the WebSocket routes need ({ wsHandler, handler, preHandler }).
// glue types route options as full RouteOptions (method and url required) though it fills those in.
const operationResolver = ((operationId: string) => serviceHandlers[operationId as keyof typeof serviceHandlers]) as unknown as FastifyOpenapiGlueOptions['operationResolver'];

/** What a ROLE=worker process serves: it processes queries, and answers only for its health. */
const WORKER_OPERATIONS = new Set(['getHealth', 'getReadiness', 'getMetrics']);

async function routes(app: FastifyInstance): Promise<void> {
  if (app.sg.config.role === 'worker') {
    app.addHook('onRequest', async (req) => {
      const operation = (req.routeOptions.schema)?.operationId;
      if (operation !== undefined && !WORKER_OPERATIONS.has(operation)) {
        throw new AppError('SG_ERR_NOT_FOUND', `this process runs with ROLE=worker: it serves only /healthz, /readyz and /metrics; send ${req.method} ${req.url.split('?')[0]} to a process with ROLE=api or all`);
      }
    });
  }
  await app.register(openapiGlue, { specification: SPEC_PATH, operationResolver });
}

export default fp(routes, { name: 'routes', fastify: '5.x', dependencies: ['services', 'problem-json', 'body-parsers', 'auth', 'websocket', 'push'] });
