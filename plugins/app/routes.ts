// Generates every route from openapi/openapi.yaml; handlers are looked up by operationId.
import fp from 'fastify-plugin';
import openapiGlue from 'fastify-openapi-glue';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { serviceHandlers } from '../../src/http/service-handlers.js';
import { projectRoot } from '../../src/util/project-root.js';

export const SPEC_PATH = join(projectRoot(), 'openapi', 'openapi.yaml');

async function routes(app: FastifyInstance): Promise<void> {
  await app.register(openapiGlue, { specification: SPEC_PATH, serviceHandlers });
}

export default fp(routes, { name: 'routes', fastify: '5.x', dependencies: ['services', 'problem-json', 'body-parsers', 'auth'] });
