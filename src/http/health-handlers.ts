// getHealth and getReadiness: liveness is the process; readiness is Redis answering.
import type { FastifyReply, FastifyRequest } from 'fastify';

export async function getHealth(): Promise<{ status: 'ok' }> {
  return { status: 'ok' };
}

export async function getReadiness(req: FastifyRequest, reply: FastifyReply) {
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  try {
    const pong = await Promise.race([
      req.server.sg.redis.ping(),
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error('no answer within 1 s')), 1_000).unref()),
    ]);
    checks.redis = { ok: pong === 'PONG' };
  } catch (err) {
    checks.redis = { ok: false, detail: (err as Error).message };
  }
  const ready = Object.values(checks).every((c) => c.ok);
  return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
}
