// A steady event load for fault tests: concurrent posters that remember every acknowledged event.
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
