// Recent end-to-end latencies for p50/p99 over a sliding window (alerts and the status API).

export class LatencyWindow {
  private readonly at: number[] = [];
  private readonly ms: number[] = [];
  private start = 0;

  constructor(
    private readonly windowMs = 30_000,
    private readonly maxSamples = 20_000,
  ) {}

  record(latencyMs: number, now = Date.now()): void {
    this.at.push(now);
    this.ms.push(latencyMs);
    // Beyond the cap, keep every other sample: the quantiles stay right, memory stays bounded.
    if (this.at.length - this.start > this.maxSamples) this.thin();
  }

  private thin(): void {
    const at: number[] = [];
    const ms: number[] = [];
    for (let i = this.start; i < this.at.length; i += 2) {
      at.push(this.at[i]!);
      ms.push(this.ms[i]!);
    }
    this.at.length = 0;
    this.ms.length = 0;
    this.at.push(...at);
    this.ms.push(...ms);
    this.start = 0;
  }

  /** The q-quantile (0..1) of the samples in the window, or null with none. */
  quantile(q: number, now = Date.now()): number | null {
    while (this.start < this.at.length && this.at[this.start]! < now - this.windowMs) this.start++;
    if (this.start > 10_000) {
      this.at.splice(0, this.start);
      this.ms.splice(0, this.start);
      this.start = 0;
    }
    const live = this.ms.slice(this.start);
    if (live.length === 0) return null;
    live.sort((a, b) => a - b);
    return live[Math.min(live.length - 1, Math.floor(q * live.length))]!;
  }
}
