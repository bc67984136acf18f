// What the resource bounds cost and guarantee: LIKE on a hostile value beside a plain scan of it,
// SESSION per-event cost as a key's open sessions grow, and a HOP at the windows-per-event limit.
import { compileQuery } from '../src/sql/compile.js';
import { createEngine } from '../src/engine/index.js';
import { likeMatch } from '../src/engine/index.js';
import type { SourceEvent } from '../src/engine/index.js';
import { maxWindowsPerEvent } from '../src/sql/plan.js';

function ms(run: () => void, rounds = 5): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(rounds / 2)] as number;
}

console.log('streamgate limits benchmark (medians of 5 runs)\n');

// 1. LIKE: a 400 KB value, 2,000-character patterns; the baseline is one indexOf over the value.
const value = 'a'.repeat(400_000);
const scan = ms(() => {
  if (value.indexOf('b') !== -1) throw new Error('unexpected');
});
for (const [label, pattern] of [
  ["'%' + 'a_' x 1000 + 'b%'", '%' + 'a_'.repeat(1000) + 'b%'],
  ["'%a' x 999 + '%b%'", '%a'.repeat(999) + '%b%'],
  ["'%b' + 'a' x 1997 + '%'", '%b' + 'a'.repeat(1997) + '%'],
  ["'%' + 'a_' x 999 + 'b%'", '%' + 'a_'.repeat(999) + 'b%'],
] as const) {
  const t = ms(() => {
    if (likeMatch(value, pattern, false)) throw new Error('unexpected match');
  });
  console.log(`LIKE ${label.padEnd(28)} on 400 KB: ${t.toFixed(2).padStart(8)} ms   (indexOf scan ${scan.toFixed(3)} ms)`);
}

// 2. SESSION: one key, n open sessions (a large lateness keeps them open), then 10,000 more events.
const sessionPlan = compileQuery("SELECT k, COUNT(*) AS n FROM s GROUP BY k, SESSION(ts, INTERVAL '1' SECOND)").plan;
const MORE = 10_000;
const perEvent: [number, number][] = [];
for (const open of [1_000, 10_000, 100_000]) {
  const ev = (i: number): SourceEvent => ({ id: `1-${i}`, ts: (i % open) * 10_000 + Math.floor(i / open), data: { k: 'x' } });
  const t = ms(() => {
    const engine = createEngine(sessionPlan, { emit: 'changes', latenessMs: 1e12 });
    const first: SourceEvent[] = [];
    for (let i = 0; i < open; i++) first.push(ev(i));
    engine.apply(first);
    const more: SourceEvent[] = [];
    // Each joins one of the open sessions, spread over all of them.
    for (let i = 0; i < MORE; i++) more.push({ id: `2-${i}`, ts: ((i * 7919) % open) * 10_000 + 5, data: { k: 'x' } });
    const start = process.hrtime.bigint();
    engine.apply(more);
    perEvent.push([open, Number(process.hrtime.bigint() - start) / 1e3 / MORE]);
  }, 3);
  void t;
}
const byOpen = new Map<number, number[]>();
for (const [open, us] of perEvent) byOpen.set(open, [...(byOpen.get(open) ?? []), us]);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const base = med(byOpen.get(1_000)!);
for (const [open, xs] of byOpen) console.log(`SESSION, one key with ${String(open).padStart(7)} open sessions: ${med(xs).toFixed(2).padStart(6)} µs per event  (ratio to 1,000 open: ${(med(xs) / base).toFixed(2)})`);

// 3. HOP at the limit: each event lands in maxWindowsPerEvent windows; beside TUMBLE over the same events.
const events: SourceEvent[] = Array.from({ length: 2_000 }, (_, i) => ({ id: `1-${i}`, ts: i * 60_000, data: { k: `k${i % 10}` } }));
const run = (sql: string) => () => {
  const engine = createEngine(compileQuery(sql).plan, { emit: 'changes', latenessMs: 0 });
  engine.apply(events);
};
const tumble = ms(run("SELECT k, COUNT(*) AS n FROM s GROUP BY k, TUMBLE(ts, INTERVAL '1' MINUTE)"));
const hop = ms(run(`SELECT k, COUNT(*) AS n FROM s GROUP BY k, HOP(ts, INTERVAL '1' MINUTE, INTERVAL '${maxWindowsPerEvent}' MINUTE)`));
console.log(`\nHOP with ${maxWindowsPerEvent} windows per event: ${((hop / events.length) * 1000).toFixed(1)} µs per event; TUMBLE: ${((tumble / events.length) * 1000).toFixed(2)} µs per event (ratio ${(hop / tumble).toFixed(0)})`);
