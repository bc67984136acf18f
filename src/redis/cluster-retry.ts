// A cluster's transient refusals, retried inside the Redis layer: while a slot migrates, a
// multi-key call whose keys are split between the two nodes gets TRYAGAIN; during a failover the
// slots of the lost primary answer CLUSTERDOWN until its replica takes over.
import { setTimeout as sleep } from 'node:timers/promises';

/** How long one call keeps retrying before the caller answers 503 with Retry-After. */
const RETRY_BUDGET_MS = 2_000;

/** A refusal that changes nothing and is worth asking again shortly (the command did not run). */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return /^(TRYAGAIN|CLUSTERDOWN|MASTERDOWN|LOADING)\b/.test(err.message) || err.message === 'Too many Cluster redirections' || /^(Cannot find node|Could not find shard)/.test(err.message);
}

/** Runs `work`, again after a jittered, doubling pause (25 ms up to 400 ms) while it is refused that way, within the budget. */
export async function retryTransient<T>(work: () => Promise<T>): Promise<T> {
  const end = Date.now() + RETRY_BUDGET_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const pause = Math.min(25 * 2 ** attempt, 400) * (0.5 + Math.random());
      if (!isRetryable(err) || Date.now() + pause > end) throw err;
      await sleep(pause);
    }
  }
}
