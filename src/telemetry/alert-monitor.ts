// Alert thresholds: evaluated every interval over the queries' live status; an alert is logged,
// recorded as an OpenTelemetry span event, listed by GET /v1/alerts and turns readiness degraded.
import { trace } from '@opentelemetry/api';
import type { Log } from '../util/logger.js';
import { SPANS, TRACER_NAME } from './names.js';
import type { LatencyWindow } from './latency-window.js';

export interface AlertThresholds {
  /** Lag above this many entries (0 = off). */
  lagEntries: number;
  /** End-to-end p99 above this many ms (0 = off). */
  e2eP99Ms: number;
  /** Dead-lettered entries growing by at least this many per evaluation (0 = off). */
  deadLetterGrowth: number;
  intervalMs: number;
}

export interface Alert {
  name: string;
  kind: 'lag' | 'latency' | 'query_failed' | 'dead_letter_growth';
  query?: string;
  since: string;
  value: number;
  threshold: number;
  /** What value and threshold count: a duration always says its unit. */
  unit: 'entries' | 'ms' | 'queries';
  message: string;
}

export interface QueryHealth {
  id: string;
  status: string;
  lag: number;
  deadLettered: number;
  watermark: string | null;
}

export class AlertMonitor {
  private readonly active = new Map<string, Alert>();
  private readonly lastDead = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** The last evaluated status per query, for the lag and watermark gauges. */
  lastHealth: QueryHealth[] = [];

  constructor(
    private readonly t: AlertThresholds,
    private readonly health: () => Promise<QueryHealth[]>,
    private readonly latency: LatencyWindow,
    private readonly log: Log,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.evaluate(), this.t.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  list(): Alert[] {
    return [...this.active.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private raise(a: Omit<Alert, 'since'>): void {
    const existing = this.active.get(a.name);
    if (existing) {
      existing.value = a.value;
      return;
    }
    const alert: Alert = { ...a, since: new Date().toISOString() };
    this.active.set(a.name, alert);
    this.log.warn({ alert }, `alert: ${a.message}`);
    this.event('alert.fired', alert);
  }

  private clear(name: string): void {
    const alert = this.active.get(name);
    if (!alert) return;
    this.active.delete(name);
    this.log.info({ alert }, `alert cleared: ${alert.name}`);
    this.event('alert.cleared', alert);
  }

  private event(name: string, a: Alert): void {
    const span = trace.getTracer(TRACER_NAME).startSpan(SPANS.alert);
    span.addEvent(name, { 'alert.name': a.name, 'alert.kind': a.kind, 'alert.value': a.value, 'alert.threshold': a.threshold, ...(a.query ? { 'alert.query': a.query } : {}) });
    span.end();
  }

  /** One evaluation; exposed for tests and for the first reading at start-up. */
  async evaluate(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const queries = await this.health();
      this.lastHealth = queries;
      const seen = new Set<string>();
      for (const q of queries) {
        if (this.t.lagEntries > 0) {
          const name = `lag:${q.id}`;
          seen.add(name);
          if (q.lag > this.t.lagEntries) this.raise({ name, kind: 'lag', query: q.id, value: q.lag, threshold: this.t.lagEntries, unit: 'entries', message: `query ${q.id} is ${q.lag} entries behind (threshold ${this.t.lagEntries})` });
          else this.clear(name);
        }
        const failed = `failed:${q.id}`;
        seen.add(failed);
        if (q.status === 'failed') this.raise({ name: failed, kind: 'query_failed', query: q.id, value: 1, threshold: 0, unit: 'queries', message: `query ${q.id} failed` });
        else this.clear(failed);
        if (this.t.deadLetterGrowth > 0) {
          const name = `dead_letter:${q.id}`;
          seen.add(name);
          const before = this.lastDead.get(q.id) ?? q.deadLettered;
          const growth = q.deadLettered - before;
          this.lastDead.set(q.id, q.deadLettered);
          if (growth >= this.t.deadLetterGrowth) this.raise({ name, kind: 'dead_letter_growth', query: q.id, value: growth, threshold: this.t.deadLetterGrowth, unit: 'entries', message: `query ${q.id} dead-lettered ${growth} entries since the last check` });
          else this.clear(name);
        }
      }
      if (this.t.e2eP99Ms > 0) {
        seen.add('latency');
        const p99 = this.latency.quantile(0.99);
        if (p99 !== null && p99 > this.t.e2eP99Ms) this.raise({ name: 'latency', kind: 'latency', value: p99, threshold: this.t.e2eP99Ms, unit: 'ms', message: `end-to-end p99 is ${Math.round(p99)} ms (threshold ${this.t.e2eP99Ms} ms)` });
        else this.clear('latency');
      }
      // Alerts of deleted queries clear too.
      for (const name of [...this.active.keys()]) if (!seen.has(name)) this.clear(name);
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'alert evaluation failed; will retry');
    } finally {
      this.running = false;
    }
  }
}
