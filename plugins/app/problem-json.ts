// Every error and every unknown route answers as application/problem+json.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { AppError, toProblem } from '../../src/errors.js';
import { toAppError } from '../../src/http/problem.js';
import { telemetry } from '../../src/telemetry/metrics.js';

async function problemJson(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err, req, reply) => {
    const appErr = toAppError(err as Error);
    if (appErr.status >= 500) req.log.error({ err: appErr.extra.cause ?? err }, appErr.message);
    else req.log.info({ code: appErr.code, status: appErr.status }, appErr.message);
    if ((req.routeOptions.schema)?.operationId === 'ingestEvents') {
      telemetry().eventsRejected.add(1, { reason: appErr.code });
    }
    if (appErr.extra.retryAfterSeconds !== undefined) void reply.header('retry-after', String(appErr.extra.retryAfterSeconds));
    if (appErr.status === 401) void reply.header('www-authenticate', 'Bearer');
    return reply.code(appErr.status).type('application/problem+json').send(toProblem(appErr, req.url.split('?')[0]));
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new AppError('SG_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    return reply.code(404).type('application/problem+json').send(toProblem(err));
  });
}

export default fp(problemJson, { name: 'problem-json', fastify: '5.x' });
