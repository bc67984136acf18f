// The handler for each OpenAPI operationId; fastify-openapi-glue routes by these names.
import { getHealth, getReadiness, listAlerts, getMetrics } from './health-handlers.js';
import { listStreams, putStream, getStream, deleteStream, ingestEvents } from './stream-handlers.js';
import { createQuery, validateQuery, listQueries, getQuery, deleteQuery, pauseQuery, resumeQuery, getQueryResults } from './query-handlers.js';

export const serviceHandlers = {
  getHealth,
  getReadiness,
  listAlerts,
  getMetrics,
  listStreams,
  putStream,
  getStream,
  deleteStream,
  ingestEvents,
  createQuery,
  validateQuery,
  listQueries,
  getQuery,
  deleteQuery,
  pauseQuery,
  resumeQuery,
  getQueryResults,
} as const;
