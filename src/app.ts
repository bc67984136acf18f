// Composition root: builds the Fastify app from config and a connected Redis client.
import Fastify, { type FastifyInstance, type FastifyBaseLogger, type RouteOptions } from 'fastify';
import type { Socket } from 'node:net';
import type { Config } from './config.js';
import type { Redis } from './redis/client.js';
import { AppError, toProblem } from './errors.js';
import { stripAccessToken } from './http/browser-auth.js';
import services from '../plugins/app/services.js';
import problemJson from '../plugins/app/problem-json.js';
import bodyParsers from '../plugins/app/body-parsers.js';
import auth from '../plugins/app/auth.js';
import rateLimit from '../plugins/external/rate-limit.js';
import docs from '../plugins/external/docs.js';
import corsPlugin from '../plugins/external/cors.js';
import websocket from '../plugins/external/websocket.js';
import push from '../plugins/app/push.js';
import sinks from '../plugins/app/sinks.js';
import routes from '../plugins/app/routes.js';
import webConsole from '../plugins/app/console.js';
import { loadFunctionModules } from './runtime/function-modules.js';
import { traceLogMixin } from './telemetry/log-context.js';

export interface BuildAppOptions {
  config: Config;
  redis: Redis;
  ownsRedis?: boolean;
  /** A pino logger to share; a new one at config.logLevel when unset. */
  logger?: FastifyBaseLogger;
  /**
   * Register @fastify/otel's HTTP server spans on this instance. The preload does this for every
   * instance by itself; in-process tests with their own tracer provider ask for it here.
   */
  fastifyOtel?: boolean;
  /** Sees every route as it is added (the spec-agreement test lists them this way). */
  onRoute?: (route: RouteOptions) => void;
}

/** Answers protocol-level client errors (slow or broken requests) as problem+json too. */
function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  const appErr =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new AppError('SG_ERR_REQUEST_TIMEOUT', 'the request was not received within REQUEST_TIMEOUT')
      : new AppError('SG_ERR_MALFORMED_BODY', 'the HTTP request could not be parsed');
  const body = JSON.stringify(toProblem(appErr));
  socket.end(
    `HTTP/1.1 ${appErr.status} ${appErr.title}\r\nConnection: close\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: { level: config.logLevel, mixin: traceLogMixin } }),
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    // Idle sockets close after the request timeout plus a margin, so a slow request still gets its 408 first.
    connectionTimeout: Math.max(config.requestTimeoutMs * 2, config.requestTimeoutMs + 5_000),
    // Node checks request timeouts only every connectionsCheckingInterval (30 s by default).
    http: { headersTimeout: config.requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, config.requestTimeoutMs) },
    keepAliveTimeout: 72_000,
    routerOptions: { maxParamLength: 512 },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    clientErrorHandler,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
    return503OnClosing: true,
    rewriteUrl: stripAccessToken,
  });
  if (opts.onRoute) app.addHook('onRoute', opts.onRoute);
  if (opts.fastifyOtel) {
    const { FastifyOtelInstrumentation } = await import('@fastify/otel');
    await app.register(new FastifyOtelInstrumentation({ instrumentHooks: false, instrumentHandler: false }).plugin());
  }
  // A broken function module rejects here, before anything listens: start-up fails naming the file.
  const functions = await loadFunctionModules(config.functionsDir);
  await app.register(services, { config, redis: opts.redis, ownsRedis: opts.ownsRedis ?? false, functions });
  await app.register(problemJson);
  await app.register(corsPlugin);
  await app.register(bodyParsers);
  // Before auth: its onRequest hook marks upgrade requests, so a refused one (401) has its socket closed.
  await app.register(websocket);
  await app.register(auth);
  await app.register(rateLimit);
  await app.register(docs);
  await app.register(push, { functions });
  await app.register(sinks, { functions });
  await app.register(routes);
  await app.register(webConsole);
  return app;
}
