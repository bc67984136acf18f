// Failures a command reports and exits on: usage mistakes (exit 2) and refusals by the gateway (exit 1).
import { StreamgateError, type Problem } from '@streamgate/client';

export class UsageError extends Error {}

/** A problem+json answer as lines a person reads: status, code, detail, then each listed error. */
export function describeProblem(p: Problem, indexOffset = 0): string {
  const lines = [`${p.status ? `${p.status} ` : ''}${p.code ?? p.title ?? 'error'}${p.detail ? `: ${p.detail}` : ''}`];
  for (const e of p.errors ?? []) {
    const where: string[] = [];
    if (e.index !== undefined) where.push(`event ${e.index + indexOffset}`);
    if (e.field) where.push(`field ${e.field}`);
    if (e.line !== undefined) where.push(`line ${e.line}${e.column !== undefined ? `:${e.column}` : ''}`);
    lines.push(`  ${where.length ? `${where.join(', ')}: ` : ''}${e.message ?? e.code ?? ''}`);
  }
  return lines.join('\n');
}

/** The message and exit code for anything a command threw. */
export function failure(err: unknown): { message: string; code: number } {
  if (err instanceof UsageError) return { message: `${err.message}\n(--help for usage)`, code: 2 };
  if (err instanceof StreamgateError) return { message: describeProblem(err.problem), code: 1 };
  const e = err as Error & { cause?: { code?: string } };
  if (e.cause?.code === 'ECONNREFUSED') return { message: `cannot reach the gateway: ${e.cause.code} (${e.message})`, code: 1 };
  return { message: e.message ?? String(err), code: 1 };
}
