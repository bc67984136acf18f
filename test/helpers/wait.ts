// Polling helper for tests of asynchronous processing: wait for a condition, with a deadline.
export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000, every = 50): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((ok) => setTimeout(ok, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
}
