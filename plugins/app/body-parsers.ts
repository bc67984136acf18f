// The only body types the API takes: application/json and application/x-ndjson (415 for the rest).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { parseJsonBody, parseNdjson } from '../../src/http/parse-body.js';

async function bodyParsers(app: FastifyInstance): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseNdjson(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export default fp(bodyParsers, { name: 'body-parsers', fastify: '5.x' });
