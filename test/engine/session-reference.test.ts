// Session windows against an independent reference: sort each key's events and split at gaps > the session gap
// (inclusive, as Flink and ksqlDB: events exactly `gap` apart share a session).
import fc from 'fast-check';
import t from 'tap';
import { compileQuery } from '../../src/sql/compile.js';
import { createEngine } from '../../src/engine/index.js';
import type { Row, SourceEvent } from '../../src/engine/index.js';

const GAP = 10_000;
const LATENESS = 8_000;
const sql = `SELECT k, COUNT(*) AS n, SUM(a) AS total, MIN(a) AS lo, MAX(a) AS hi, FIRST_VALUE(a) AS first_a, LAST_VALUE(a) AS last_a,
  window_start, window_end FROM s WHERE a IS NULL OR a > -8 GROUP BY k, SESSION(ts, INTERVAL '10' SECOND)`;

interface Ev { id: string; ts: number; k: string | null; a: number | null }

function reference(events: Ev[]): Map<string, Row> {
  const byKey = new Map<string | null, Ev[]>();
  for (const e of events) {
    if (!(e.a === null || e.a > -8)) continue;
    const list = byKey.get(e.k) ?? [];
    list.push(e);
    byKey.set(e.k, list);
  }
  const out = new Map<string, Row>();
  for (const [k, list] of byKey) {
    list.sort((x, y) => x.ts - y.ts || (x.id < y.id ? -1 : 1));
    let session: Ev[] = [];
    const flush = (): void => {
      if (session.length === 0) return;
      const start = session[0]!.ts;
      const end = Math.max(...session.map((e) => e.ts)) + GAP;
      const vals = session.map((e) => e.a).filter((a): a is number => a !== null);
      const stamped = session.filter((e) => e.a !== null);
      out.set(JSON.stringify([k, new Date(start).toISOString()]), {
        k, n: session.length,
        total: vals.length ? vals.reduce((x, y) => x + y, 0) : null,
        lo: vals.length ? Math.min(...vals) : null,
        hi: vals.length ? Math.max(...vals) : null,
        first_a: stamped[0]?.a ?? null,
        last_a: stamped[stamped.length - 1]?.a ?? null,
        window_start: new Date(start).toISOString(),
        window_end: new Date(end).toISOString(),
      });
      session = [];
    };
    for (const e of list) {
      const last = session[session.length - 1];
      if (last && e.ts - last.ts > GAP) flush();
      session.push(e);
    }
    flush();
  }
  return out;
}

// Events drift forward with gaps around the session gap; each is at most LATENESS behind the maximum so far.
const eventsArb = fc
  .array(fc.record({ step: fc.integer({ min: 0, max: 14_000 }), back: fc.integer({ min: 0, max: LATENESS }), k: fc.constantFrom('a', 'b', null), a: fc.option(fc.integer({ min: -10, max: 10 })) }), { minLength: 1, maxLength: 60 })
  .map((raw) => {
    let base = 1_767_225_600_000;
    return raw.map((r, i): Ev => {
      base += r.step;
      return { id: `e${String(i).padStart(4, '0')}`, ts: base - r.back, k: r.k, a: r.a };
    });
  });

void t.test('session windows equal the reference for any events and batch split', (t) => {
  const plan = compileQuery(sql).plan;
  fc.assert(
    fc.property(eventsArb, fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 20 }), (events, sizes) => {
      const engine = createEngine(plan, { emit: 'changes', latenessMs: LATENESS });
      const table = new Map<string, Row>();
      let i = 0;
      let s = 0;
      while (i < events.length) {
        const n = sizes[s++ % sizes.length]!;
        const batch: SourceEvent[] = events.slice(i, i + n).map((e) => ({ id: e.id, ts: e.ts, data: { k: e.k, a: e.a } }));
        i += n;
        const res = engine.apply(batch);
        if (res.late.length > 0) throw new Error('no event should be late');
        for (const c of res.changes) {
          if (c.op === 'upsert') table.set(c.key, c.row);
          else table.delete(c.key);
        }
      }
      const expected = reference(events);
      t.same(Object.fromEntries(table), Object.fromEntries(expected));
      return true;
    }),
    { numRuns: 200, seed: 42 },
  );
  t.end();
});

void t.test('an event that bridges two sessions merges them and deletes the later one', (t) => {
  const engine = createEngine(compileQuery("SELECT COUNT(*) AS n, window_start FROM s GROUP BY SESSION(ts, INTERVAL '10' SECOND)").plan, { emit: 'changes', latenessMs: 60_000 });
  engine.apply([{ id: '1', ts: 0, data: {} }, { id: '2', ts: 15_000, data: {} }]);
  const res = engine.apply([{ id: '3', ts: 8_000, data: {} }]);
  t.same(res.changes.map((c) => [c.op, c.row.n, c.row.window_start]), [
    ['delete', 1, '1970-01-01T00:00:15.000Z'],
    ['upsert', 3, '1970-01-01T00:00:00.000Z'],
  ]);
  t.equal(engine.rows().length, 1);
  t.end();
});
