// Every span and metric name in one place, so dashboards and tests agree with the code.

export const TRACER_NAME = 'streamgate';

export const SPANS = {
  ingest: (stream: string) => `ingest ${stream}`,
  process: (queryId: string) => `process ${queryId}`,
  commit: (queryId: string) => `commit ${queryId}`,
  push: (queryId: string) => `push ${queryId}`,
  alert: 'alert',
} as const;

export const METRICS = {
  eventsIngested: 'streamgate.events.ingested',
  eventsRejected: 'streamgate.ingest.rejected',
  eventsProcessed: 'streamgate.events.processed',
  batchSize: 'streamgate.batch.size',
  commitDuration: 'streamgate.commit.duration_ms',
  queryLag: 'streamgate.query.lag',
  watermarkDelay: 'streamgate.query.watermark_delay_ms',
  endToEnd: 'streamgate.e2e.latency_ms',
  eventsLate: 'streamgate.events.late',
  eventsDeadLettered: 'streamgate.events.dead_lettered',
  subscribers: 'streamgate.subscribers',
  subscribersDropped: 'streamgate.subscribers.dropped',
  taskRestarts: 'streamgate.task.restarts',
  queriesQuarantined: 'streamgate.queries.quarantined',
  leaseMoves: 'streamgate.lease.moves',
  alertsActive: 'streamgate.alerts.active',
} as const;
