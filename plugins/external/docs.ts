// Serves openapi/openapi.yaml itself at /docs (page), /docs/json and /docs/yaml.
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../../src/util/project-root.js';

async function docs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    mode: 'static',
    specification: { path: join(projectRoot(), 'openapi', 'openapi.yaml'), baseDir: join(projectRoot(), 'openapi') },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(docs, { name: 'docs', fastify: '5.x' });
