// Window assignment for tumble, hop and cumulate: epoch-aligned in UTC, start inclusive, end exclusive.
import type { WindowSpec } from '../sql/plan.js';

/** Assigns an event time to its windows. */
export interface WindowAssigner {
  /** Writes the windows of `t` into `starts`/`ends`, oldest (earliest end) first; returns how many. */
  assign(t: number, starts: number[], ends: number[]): number;
}

const floorTo = (t: number, step: number): number => Math.floor(t / step) * step;

/** The assigner for a fixed-boundary window (not session). */
export function windowAssigner(w: Exclude<WindowSpec, { kind: 'session' }>): WindowAssigner {
  switch (w.kind) {
    case 'tumble': {
      const size = w.size;
      return {
        assign: (t, starts, ends) => {
          const s = floorTo(t, size);
          starts[0] = s;
          ends[0] = s + size;
          return 1;
        },
      };
    }
    case 'hop': {
      const { slide, size } = w;
      return {
        assign: (t, starts, ends) => {
          let n = 0;
          // Oldest window first, so emission order follows window order.
          const last = floorTo(t, slide);
          let s = last - Math.floor((size - 1) / slide) * slide;
          for (; s <= last; s += slide) {
            if (s + size > t) {
              starts[n] = s;
              ends[n] = s + size;
              n++;
            }
          }
          return n;
        },
      };
    }
    case 'cumulate': {
      const { step, max } = w;
      return {
        assign: (t, starts, ends) => {
          const base = floorTo(t, max);
          let n = 0;
          for (let e = floorTo(t - base, step) + step + base; e <= base + max; e += step) {
            starts[n] = base;
            ends[n] = e;
            n++;
          }
          return n;
        },
      };
    }
  }
}
