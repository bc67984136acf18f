// The only body types the API takes: application/json and application/x-ndjson (415 for the rest).
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { defaultBodyLimits, parseJsonBody, parseNdjson } from '../../src/http/parse-body.js';
import { AppError } from '../../src/errors.js';
import { parseCsv } from '../../src/ingest/formats/csv.js';
import { parseMsgpack } from '../../src/ingest/formats/msgpack.js';
import { parseProtobuf } from '../../src/ingest/formats/protobuf.js';

// `application/x-protobuf; delimited=true`: a sequence of varint-length-prefixed messages.
const DELIMITED = /;\s*delimited\s*=\s*"?true"?\s*(?:;|$)/i;

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
  // Fastify validates a body only against the schema of its own content type: a type the operation
  // does not declare (NDJSON sent to a JSON-only route) would reach the handler unchecked.
  // A callback hook, not an async one: it runs on every request, ingest included.
  app.addHook('preValidation', (req, _reply, done) => {
    const declared = (req.routeOptions.schema?.body as { content?: Record<string, unknown> } | undefined)?.content;
    const type = req.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
    if (declared && type && req.body !== undefined && !(type in declared)) {
      done(new AppError('SG_ERR_UNSUPPORTED_MEDIA_TYPE', `${req.method} ${req.routeOptions.url ?? ''} takes ${Object.keys(declared).join(' or ')}, not ${type}`));
      return;
    }
    done();
  });
  // Types the API only answers with. The OpenAPI glue warns at start-up about every type in the
  // spec without a parser; as request bodies they are refused like any other undeclared type.
  for (const type of ['text/plain', 'text/event-stream', 'application/problem+json']) {
    app.addContentTypeParser(type, (req, _payload, done) => done(new AppError('SG_ERR_UNSUPPORTED_MEDIA_TYPE', `${req.method} ${req.routeOptions.url ?? ''} does not take ${type}`), undefined));
  }
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseNdjson(body as string, limits));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // Event formats besides JSON (src/ingest/formats): each ends as the same events for IngestService.
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseCsv(body as string, limits));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser(['application/msgpack', 'application/x-msgpack'], { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseMsgpack(body as Buffer, limits));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-protobuf', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      done(null, parseProtobuf(body as Buffer, DELIMITED.test(req.headers['content-type'] ?? ''), limits));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export default fp(bodyParsers, { name: 'body-parsers', fastify: '5.x', dependencies: ['services'] });
