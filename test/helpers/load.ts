// A steady event load for fault tests: concurrent posters that remember every acknowledged event.
import type { FastifyInstance } from 'fastify';
import type { OracleEvent } from './oracle.js';

export interface Load {
  acked: Map<string, OracleEvent>;
  stop: () => Promise<void>;
}

/** Posts batches of generated events to `url` (a gateway's events endpoint) until stopped. */
export function startLoad(post: (events: OracleEvent[]) => Promise<string[] | undefined>, make: (seq: number) => OracleEvent, opts: { posters?: number; batch?: number; pauseMs?: number } = {}): Load {
  const acked = new Map<string, OracleEvent>();
  let seq = 0;
  let running = true;
  const poster = async () => {
    while (running) {
      const events = Array.from({ length: opts.batch ?? 10 }, () => make(seq++));
      try {
        const ids = await post(events);
        if (ids) ids.forEach((id, i) => acked.set(id, events[i]!));
      } catch {
        // refused or unreachable: these events were not acknowledged, so they are not expected
      }
      await new Promise((ok) => setTimeout(ok, opts.pauseMs ?? 20));
    }
  };
  const posters = Array.from({ length: opts.posters ?? 3 }, () => poster());
  return {
    acked,
    stop: async () => {
      running = false;
      await Promise.all(posters);
    },
  };
}

/**
 * A post function for startLoad through an in-process app that retries 503s with the same
 * Idempotency-Key, as a client should; `statuses` counts every answer by status code.
 */
export function retryingPoster(api: FastifyInstance, url: string, statuses: Map<number, number>): (events: OracleEvent[]) => Promise<string[] | undefined> {
  let idem = 0;
  return async (events) => {
    const key = `k${idem++}-${Math.random().toString(36).slice(2)}`;
    for (let attempt = 0; attempt < 100; attempt++) {
      const res = await api.inject({ method: 'POST', url, headers: { 'idempotency-key': key }, payload: events });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode === 201) return res.json<{ ids: string[] }>().ids;
      if (res.statusCode !== 503) return undefined;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    return undefined;
  };
}
