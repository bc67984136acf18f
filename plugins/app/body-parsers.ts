// The only body types the API takes: application/json and application/x-ndjson (415 for the rest).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { defaultBodyLimits, parseJsonBody, parseNdjson } from '../../src/http/parse-body.js';

async function bodyParsers(app: FastifyInstance): Promise<void> {
  // The event-count limit is checked while the body is scanned, before it is parsed.
  const limits = { ...defaultBodyLimits, maxItems: app.sg.config.maxEventsPerRequest };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string, limits));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseNdjson(body as string, limits));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export default fp(bodyParsers, { name: 'body-parsers', fastify: '5.x', dependencies: ['services'] });
