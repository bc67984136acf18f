// End-to-end latency (arrival in Redis → commit, and → push): the histogram metric plus sliding
// windows for p50/p99 in alerts and in the query status.
import { LatencyWindow } from './latency-window.js';
import { telemetry } from './metrics.js';

const overall = new LatencyWindow();
const perQuery = new Map<string, LatencyWindow>();
/** Queries whose changes this process pushes: their windows hold push latencies only. */
const pushSeen = new Set<string>();

export type Stage = 'commit' | 'push';

/** Records one event's latency at a stage. The push stage is what users see, so it wins in windows. */
export function recordEndToEnd(queryId: string, stage: Stage, ms: number): void {
  telemetry().endToEnd.record(ms, { query: queryId, stage });
  if (stage === 'push' || !pushSeen.has(queryId)) {
    if (stage === 'push') pushSeen.add(queryId);
    overall.record(ms);
    let w = perQuery.get(queryId);
    if (!w) perQuery.set(queryId, (w = new LatencyWindow()));
    w.record(ms);
  }
}

export function endToEndWindow(): LatencyWindow {
  return overall;
}

export function queryLatency(queryId: string): { p50: number | null; p99: number | null } {
  const w = perQuery.get(queryId);
  return { p50: w?.quantile(0.5) ?? null, p99: w?.quantile(0.99) ?? null };
}
