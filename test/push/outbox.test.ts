// The per-connection buffer on its own: conflation by row key past the soft limit, close past the hard limit.
import t from 'tap';
import { Outbox, type Sink } from '../../src/push/outbox.js';

function sink(buffered: () => number) {
  const sent: string[] = [];
  const closed: string[] = [];
  const s: Sink = { bufferedBytes: buffered, send: (f, done) => { sent.push(f.toString()); setImmediate(done); }, close: (_c, r) => closed.push(r) };
  return { s, sent, closed };
}
const tick = () => new Promise((ok) => setImmediate(ok));

t.test('past the soft limit, a newer change to a row replaces the waiting one and takes its place', async (t) => {
  let full = 1e9;
  const { s, sent } = sink(() => full);
  const box = new Outbox(s, { soft: 2, hard: 10, highWaterBytes: 100, batch: false, maxBatch: 10 }, () => t.fail('no overflow'));
  box.push('a1', () => 'a');
  box.push('b1', () => 'b');
  box.push('a2', () => 'a');
  box.push('b2', () => 'b');
  box.push('a3', () => 'a');
  t.equal(box.size, 4, 'two waiting below the soft limit, then one per row');
  t.equal(box.conflated, 1);
  full = 0;
  box.push('hb');
  await tick();
  await tick();
  t.same(sent, ['a1', 'b1', 'b2', 'a3', 'hb'], 'the newest version of each row, in offset order');
});

t.test('past the hard limit the connection is closed and the queue freed', async (t) => {
  const { s } = sink(() => 1e9);
  let reason = '';
  const box = new Outbox(s, { soft: 2, hard: 5, highWaterBytes: 100, batch: false, maxBatch: 10 }, (r) => (reason = r));
  for (let i = 0; i < 10; i++) box.push(`m${i}`, () => `k${i}`);
  t.match(reason, /more than 5 messages/);
  t.ok(box.isClosed);
  t.equal(box.size, 0, 'nothing kept');
  t.equal(box.peak, 6);
});

t.test('a connection that makes no progress is closed after the stall timeout', async (t) => {
  const { s } = sink(() => 1e9);
  let reason = '';
  const box = new Outbox(s, { soft: 100, hard: 200, highWaterBytes: 100, batch: false, maxBatch: 10 }, (r) => (reason = r));
  box.push('m', () => 'k');
  box.checkStall(1_000);
  t.equal(reason, '', 'not yet');
  await new Promise((ok) => setTimeout(ok, 30));
  box.checkStall(20);
  t.match(reason, /no progress/);
});

t.test('batch mode sends what waited as one JSON array frame', async (t) => {
  const { s, sent } = sink(() => 0);
  const box = new Outbox(s, { soft: 100, hard: 200, highWaterBytes: 100, batch: true, maxBatch: 2 }, () => t.fail('no overflow'));
  box.push('{"a":1}');
  box.push('{"a":2}');
  box.push('{"a":3}');
  await tick();
  t.same(sent, ['[{"a":1},{"a":2}]', '{"a":3}'], 'at most maxBatch per frame; a single message stays bare');
});
