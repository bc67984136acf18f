// Generates every route from openapi/openapi.yaml; handlers are looked up by operationId.
import fp from 'fastify-plugin';
import openapiGlue, { type FastifyOpenapiGlueOptions } from 'fastify-openapi-glue';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { serviceHandlers } from '../../src/http/service-handlers.js';
import { projectRoot } from '../../src/util/project-root.js';

export const SPEC_PATH = join(projectRoot(), 'openapi', 'openapi.yaml');

// glue's `serviceHandlers` binds every entry as a function; a resolver may also return route
// options, which the WebSocket routes need ({ wsHandler, handler, preHandler }).
// glue types route options as full RouteOptions (method and url required) though it fills those in.
const operationResolver = ((operationId: string) => serviceHandlers[operationId as keyof typeof serviceHandlers]) as unknown as FastifyOpenapiGlueOptions['operationResolver'];

async function routes(app: FastifyInstance): Promise<void> {
  await app.register(openapiGlue, { specification: SPEC_PATH, operationResolver });
}

export default fp(routes, { name: 'routes', fastify: '5.x', dependencies: ['services', 'problem-json', 'body-parsers', 'auth', 'websocket', 'push'] });
