// The handler for each OpenAPI operationId (a function, or route options for WebSocket and SSE routes).
import { getHealth, getReadiness, listAlerts, getMetrics } from './health-handlers.js';
import { listStreams, putStream, getStream, deleteStream, ingestEvents } from './stream-handlers.js';
import { subscribeQuery, openSocket, streamQueryEvents } from './push-handlers.js';
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
  subscribeQuery,
  openSocket,
  streamQueryEvents,
} as const;
