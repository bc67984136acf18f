// A per-call deadline for Redis function calls, checked by one coarse timer: node-redis's own
// per-command timeout builds an AbortSignal per command, which cost a quarter of ingest throughput.

export class RedisDeadlineError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

interface Pending {
  at: number;
  ms: number;
  fail: (err: Error) => void;
}

const pending = new Set<Pending>();
let timer: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const p of pending) {
    if (p.at <= now) {
      pending.delete(p);
      p.fail(new RedisDeadlineError(p.ms));
    }
  }
  if (pending.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/**
 * Settles like `work`, or rejects with RedisDeadlineError about `ms` (+250 ms) later. The command
 * may still run in Redis after that: callers answer 503 and rely on idempotent retries.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((ok, fail) => {
    const entry: Pending = { at: Date.now() + ms, ms, fail };
    pending.add(entry);
    if (!timer) {
      timer = setInterval(sweep, 250);
      timer.unref();
    }
    work.then(
      (v) => {
        pending.delete(entry);
        ok(v);
      },
      (err: unknown) => {
        pending.delete(entry);
        fail(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
