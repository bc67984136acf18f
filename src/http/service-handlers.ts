// The handler for each OpenAPI operationId (a function, or route options for WebSocket and SSE routes).
import { getHealth, getReadiness, listAlerts, getMetrics } from './health-handlers.js';
import { listStreams, putStream, getStream, deleteStream, ingestEvents } from './stream-handlers.js';
import { subscribeQuery, openSocket, streamQueryEvents } from './push-handlers.js';
import { ingestSocket } from './ingest-socket.js';
import { createQuery, validateQuery, listQueries, getQuery, deleteQuery, pauseQuery, resumeQuery, getQueryResults, getQuerySinks } from './query-handlers.js';

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
  ingestSocket,
  createQuery,
  validateQuery,
  listQueries,
  getQuery,
  deleteQuery,
  pauseQuery,
  resumeQuery,
  getQueryResults,
  getQuerySinks,
  subscribeQuery,
  openSocket,
  streamQueryEvents,
} as const;
