// getHealth and getReadiness: liveness is the process; readiness is Redis answering. Alerts are
// about queries (one user's failed or lagging query), not this process: they are reported, not unready.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { prometheusExporter } from '../telemetry/metrics.js';
import { clusterState } from '../redis/topology.js';

const serializer = new PrometheusSerializer();

export async function getHealth(): Promise<{ status: 'ok' }> {
  return { status: 'ok' };
}

export async function getReadiness(req: FastifyRequest, reply: FastifyReply) {
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  try {
    // A cluster answers per primary: ready while every primary serves its slots (cluster_state:ok).
    const state = await Promise.race([
      clusterState(req.server.sg.redis).then(async (s) => (s === 'ok' && (await req.server.sg.redis.ping()) === 'PONG' ? 'ok' : s)),
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error('no answer within 1 s')), 1_000).unref()),
    ]);
    checks.redis = state === 'ok' ? { ok: true } : { ok: false, detail: `cluster_state:${state}` };
  } catch (err) {
    checks.redis = { ok: false, detail: (err as Error).message };
  }
  const alerts = req.server.sg.alerts.list().map((a) => a.message);
  const ready = Object.values(checks).every((c) => c.ok);
  const status = !ready ? 'not_ready' : alerts.length ? 'degraded' : 'ready';
  return reply.code(ready ? 200 : 503).send({ status, checks, ...(alerts.length ? { alerts } : {}) });
}

export async function listAlerts(req: FastifyRequest) {
  const alerts = req.server.sg.alerts.list();
  if (req.grants.admin) return { alerts };
  // Only alerts about queries this key sees (and the process-wide ones).
  const defs = new Map((await req.server.sg.queryRegistry.list()).map((d) => [d.id, d]));
  return { alerts: alerts.filter((a) => a.query === undefined || (defs.has(a.query) && req.grants.query(defs.get(a.query)!))) };
}

export async function getMetrics(_req: FastifyRequest, reply: FastifyReply) {
  const exporter = prometheusExporter();
  const { resourceMetrics } = await exporter.collect();
  return reply.type('text/plain; version=0.0.4; charset=utf-8').send(serializer.serialize(resourceMetrics));
}
