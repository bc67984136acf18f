// Thin handlers for /v1/queries operations, named by operationId.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { QueryInput } from '../runtime/query-definition.js';
import { parseWhere } from './where-param.js';

type IdParams = { Params: { id: string } };

export async function createQuery(req: FastifyRequest<{ Body: QueryInput }>, reply: FastifyReply) {
  return reply.code(201).send(await req.server.sg.queries.create(req.body, req.grants));
}

export async function validateQuery(req: FastifyRequest<{ Body: QueryInput & { events?: unknown[] } }>) {
  return req.server.sg.queries.validate(req.body, req.grants);
}

export async function listQueries(req: FastifyRequest) {
  return { queries: await req.server.sg.queries.list(req.grants) };
}

export async function getQuery(req: FastifyRequest<IdParams>) {
  return req.server.sg.queries.get(req.params.id, req.grants);
}

export async function deleteQuery(req: FastifyRequest<IdParams>, reply: FastifyReply) {
  await req.server.sg.queries.delete(req.params.id, req.grants);
  return reply.code(204).send();
}

export async function pauseQuery(req: FastifyRequest<IdParams>) {
  return req.server.sg.queries.setStatus(req.params.id, 'paused', req.grants);
}

export async function getQuerySinks(req: FastifyRequest<IdParams>) {
  return req.server.sg.queries.sinks(req.params.id, req.grants);
}

export async function resumeQuery(req: FastifyRequest<IdParams>) {
  return req.server.sg.queries.setStatus(req.params.id, 'running', req.grants);
}


export async function getQueryResults(req: FastifyRequest<IdParams & { Querystring: { where?: string; from?: string; to?: string; limit?: number; cursor?: string } }>) {
  const q = req.query;
  const where = parseWhere(q.where);
  return req.server.sg.queries.results(req.params.id, req.grants, {
    limit: q.limit ?? 1000,
    ...(where.length ? { where } : {}),
    ...(q.from ? { from: new Date(q.from).toISOString() } : {}),
    ...(q.to ? { to: new Date(q.to).toISOString() } : {}),
    ...(q.cursor ? { cursor: q.cursor } : {}),
  });
}
