// Engine throughput on pre-parsed events, beside a hand-written Map loop over the same events.
import { compileQuery } from '../src/sql/compile.js';
import { createEngine } from '../src/engine/index.js';
import type { SourceEvent } from '../src/engine/index.js';

const N = 1_000_000;
const BATCH = 10_000;
const WARMUP = 2;
const ROUNDS = 7;
const REGIONS = Array.from({ length: 100 }, (_, i) => `region-${i}`);

function makeEvents(n: number, distinctUsers: number): SourceEvent[] {
  const out: SourceEvent[] = new Array<SourceEvent>(n);
  let seed = 1;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    out[i] = { id: String(i), ts: t0 + i * 6, data: { region: REGIONS[next() % REGIONS.length], amount: next() % 1000, user: `u${next() % distinctUsers}` } };
  }
  return out;
}

// Batches are cut before timing: the runtime hands the engine batches it has already read.
function engineRun(sql: string, batches: SourceEvent[][]): () => void {
  const plan = compileQuery(sql).plan;
  return () => {
    const engine = createEngine(plan, { emit: 'changes', latenessMs: 0 });
    let changes = 0;
    for (const b of batches) changes += engine.apply(b).changes.length;
    if (changes === 0) throw new Error('no output');
  };
}

function handLoop(events: SourceEvent[]): () => void {
  return () => {
    const groups = new Map<unknown, { count: number; sum: number }>();
    for (const ev of events) {
      const region = ev.data.region;
      const amount = ev.data.amount as number;
      let g = groups.get(region);
      if (g === undefined) {
        g = { count: 0, sum: 0 };
        groups.set(region, g);
      }
      g.count++;
      g.sum += amount;
    }
    let check = 0;
    for (const g of groups.values()) check += g.sum / g.count;
    if (!(check > 0)) throw new Error('no output');
  };
}

function seconds(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const events = makeEvents(N, 100_000);
const batches: SourceEvent[][] = [];
for (let i = 0; i < N; i += BATCH) batches.push(events.slice(i, i + BATCH));

const contenders: [string, () => void][] = [
  ['hand-written Map loop: GROUP BY region COUNT/SUM/AVG', handLoop(events)],
  ['(a) GROUP BY region: COUNT(*), SUM, AVG', engineRun('SELECT region, COUNT(*) AS n, SUM(amount) AS total, AVG(amount) AS mean FROM s GROUP BY region', batches)],
  ['(b) (a) + TUMBLE(ts, 1 minute)', engineRun("SELECT region, window_start, COUNT(*) AS n, SUM(amount) AS total, AVG(amount) AS mean FROM s GROUP BY region, TUMBLE(ts, INTERVAL '1' MINUTE)", batches)],
  ['(c) COUNT(DISTINCT user), 100,000 distinct values', engineRun('SELECT COUNT(DISTINCT user) AS users FROM s', batches)],
  // The exact path: every amount read as DECIMAL(12, 2) and summed exactly (BigInt units).
  ['(d) (a) over CAST(amount AS DECIMAL(12, 2))', engineRun('SELECT region, COUNT(*) AS n, SUM(CAST(amount AS DECIMAL(12, 2))) AS total, AVG(CAST(amount AS DECIMAL(12, 2))) AS mean FROM s GROUP BY region', batches)],
];

console.log(`streamgate engine benchmark: ${N.toLocaleString('en')} pre-parsed events in batches of ${BATCH.toLocaleString('en')};`);
console.log(`median of ${ROUNDS} interleaved rounds after ${WARMUP} warm-up rounds (the machine is shared, so rounds alternate contenders)\n`);
for (let i = 0; i < WARMUP; i++) for (const [, run] of contenders) run();
const times: number[][] = contenders.map(() => []);
for (let r = 0; r < ROUNDS; r++) contenders.forEach(([, run], i) => times[i]?.push(seconds(run)));
const rates = times.map((ts) => N / (ts.sort((x, y) => x - y)[Math.floor(ts.length / 2)] as number));
contenders.forEach(([label], i) => console.log(`${label.padEnd(54)} ${((rates[i] as number) / 1e6).toFixed(2).padStart(7)} M events/s`));
const hand = rates[0] as number;
console.log(`\nratio (a) / hand loop: ${((rates[1] as number) / hand).toFixed(2)}  (target ≥ 0.50)`);
console.log(`ratio (b) / hand loop: ${((rates[2] as number) / hand).toFixed(2)}`);
console.log(`ratio (c) / hand loop: ${((rates[3] as number) / hand).toFixed(2)}`);
console.log(`ratio (d) / (a): ${((rates[4] as number) / (rates[1] as number)).toFixed(2)}  (what exact DECIMAL costs against doubles)`);
