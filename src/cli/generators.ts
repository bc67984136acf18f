// Sample events for `streamgate gen`: orders, clicks and sensor readings from a seeded generator,
// with event times that run with the clock and a fraction that arrive late (out of order).

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export const KINDS = ['orders', 'clicks', 'sensors'] as const;
export type Kind = (typeof KINDS)[number];

export interface GenOptions {
  kind: Kind;
  /** Distinct keys (customers, users, sensors). */
  keys: number;
  /** Fraction of events whose time lies 1 to 60 s behind the events around them. */
  late: number;
  seed: number;
}

const REGIONS = ['eu', 'us', 'apac', 'latam', 'africa'];
const PAGES = ['/', '/search', '/product', '/cart', '/checkout', '/help'];
const DEVICES = ['mobile', 'desktop', 'tablet'];

export class Generator {
  private readonly random: () => number;
  private n = 0;

  constructor(private readonly opts: GenOptions) {
    this.random = rng(opts.seed);
  }

  /** The next event, timed at `now` (epoch ms) unless it is one of the late ones. */
  next(now: number): Record<string, unknown> {
    const r = this.random;
    const i = this.n++;
    const late = r() < this.opts.late;
    const ts = new Date(late ? now - 1_000 - Math.floor(r() * 59_000) : now).toISOString();
    const key = Math.floor(r() * this.opts.keys);
    switch (this.opts.kind) {
      case 'orders':
        return { id: `o-${this.opts.seed}-${i}`, customer: `c${key}`, region: REGIONS[key % REGIONS.length], amount: Math.round((1 + r() * 199) * 100) / 100, quantity: 1 + Math.floor(r() * 5), ts };
      case 'clicks':
        return { user: `u${key}`, page: PAGES[Math.floor(r() * PAGES.length)], device: DEVICES[key % DEVICES.length], durationMs: Math.floor(r() * 30_000), ts };
      case 'sensors': {
        // A slow drift per sensor plus noise, so windows over a sensor show a trend.
        const base = 15 + (key % 10);
        return { sensor: `s${key}`, site: `site-${key % 4}`, temperature: Math.round((base + Math.sin(i / 50) * 3 + (r() - 0.5) * 2) * 10) / 10, humidity: Math.round(30 + r() * 40), ts };
      }
    }
  }
}
