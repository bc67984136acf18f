// Sketch accuracy on 100,000 values: each stays within its documented error.
import t from 'tap';
import { approxCountDistinct } from '../../src/functions/index.js';
import { approxPercentile, percentileRelativeError } from '../../src/functions/index.js';
import { topK } from '../../src/functions/index.js';
import { rng } from '../helpers/rng.js';

const N = 100_000;
const ctx = { ts: 0, id: '' };


void t.test('APPROX_COUNT_DISTINCT is within 2% on 100,000 distinct strings', (t) => {
  let s = approxCountDistinct.init([]);
  for (let i = 0; i < N; i++) s = approxCountDistinct.add(s, `user-${i}`, ctx);
  const est = approxCountDistinct.result(s) as number;
  t.ok(Math.abs(est - N) / N < 0.02, `estimate ${est}`);
  t.end();
});

void t.test('APPROX_COUNT_DISTINCT ignores repeats and merges partitions to the same estimate', (t) => {
  let a = approxCountDistinct.init([]);
  let b = approxCountDistinct.init([]);
  let all = approxCountDistinct.init([]);
  for (let i = 0; i < N; i++) {
    const v = i % 50_000;
    if (i % 2 === 0) a = approxCountDistinct.add(a, v, ctx);
    else b = approxCountDistinct.add(b, v, ctx);
    all = approxCountDistinct.add(all, v, ctx);
  }
  const merged = approxCountDistinct.result(approxCountDistinct.merge(a, b)) as number;
  t.equal(merged, approxCountDistinct.result(all));
  t.ok(Math.abs(merged - 50_000) / 50_000 < 0.02, `estimate ${merged}`);
  t.end();
});

void t.test('APPROX_PERCENTILE is within 1% relative error at p50, p90, p99 and p999', (t) => {
  const r = rng(3);
  const values = Array.from({ length: N }, () => Math.exp(r() * 10) * (r() < 0.1 ? -1 : 1));
  const sorted = [...values].sort((x, y) => x - y);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    let s = approxPercentile.init([q]);
    for (const v of values) s = approxPercentile.add(s, v, ctx);
    const est = approxPercentile.result(s) as number;
    const exact = sorted[Math.floor(q * (N - 1))]!;
    t.ok(Math.abs(est - exact) <= percentileRelativeError * Math.abs(exact) + 1e-9, `p${q * 100}: ${est} vs ${exact}`);
  }
  t.end();
});

void t.test('TOPK finds the most frequent values of a skewed stream with exact-enough counts', (t) => {
  const r = rng(5);
  const counts = new Map<number, number>();
  let s = topK.init([3]);
  for (let i = 0; i < N; i++) {
    // Zipf-like: value v with probability ∝ 1/v over 1..5000.
    const v = Math.max(1, Math.floor(Math.exp(r() * Math.log(5000))));
    counts.set(v, (counts.get(v) ?? 0) + 1);
    s = topK.add(s, v, ctx);
  }
  const truth = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const got = topK.result(s) as { value: number; count: number }[];
  t.same(got.map((g) => g.value), truth.map(([v]) => v));
  for (const [i, g] of got.entries()) {
    const exact = truth[i]![1];
    t.ok(g.count >= exact && g.count - exact <= N / 100, `count ${g.count} vs ${exact}`);
  }
  t.end();
});

void t.test('APPROX_PERCENTILE keeps values of any magnitude, not zero below 1e-9 (DuckDB: 2e-12)', (t) => {
  for (const [values, q, want] of [[[1e-12, 2e-12, 3e-12], 0.5, 2e-12], [[-3e-300, -2e-300, 5e-324], 0.5, -2e-300], [[0, 0, 1e-15], 1, 1e-15]] as const) {
    let s = approxPercentile.init([q]);
    for (const v of values) s = approxPercentile.add(s, v, { ts: 0, id: '0-0' });
    const got = approxPercentile.result(s) as number;
    t.ok(Math.abs(got - want) <= percentileRelativeError * Math.abs(want), `p${q * 100} of ${values.join(', ')} = ${got}`);
  }
  t.end();
});
