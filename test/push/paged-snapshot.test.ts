// Snapshots in pages (WS_SNAPSHOT_ROWS=7 here, so a few hundred rows take many pages): under
// concurrent writes every subscriber converges to the pull results; on one partition no row ever
// steps back to an older version; pages hold at most the page size and only the last has an
// offset; SSE pages before the last carry an empty event id; a filtered snapshot pages too.
import t from 'tap';
import WebSocket from 'ws';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import { listening, post, createQuery, caughtUp, pull, canon } from '../helpers/push.js';
import type { ServerMessage } from '../../src/push/messages.js';
import type { Row } from '../../src/engine/index.js';

const PAGE = 7;
const KEYS = 150;

/** A raw subscriber that applies every message and records what the client saw on the way. */
function watch(url: string, id: string, filter?: string) {
  const rows = new Map<string, Row>();
  const seen = new Map<string, number>();
  const problems: string[] = [];
  let pages = 0;
  let done = false;
  let inSnapshot = false;
  const qs = filter ? `?filter=${encodeURIComponent(filter)}` : '';
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/queries/${id}/subscribe${qs}`);
  const note = (key: string, row: Row) => {
    const n = row.n as number;
    if ((seen.get(key) ?? 0) > n) problems.push(`${key} stepped back from n=${seen.get(key)} to ${n}`);
    seen.set(key, n);
  };
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as ServerMessage;
    if (m.type === 'snapshot') {
      if (!inSnapshot) rows.clear();
      pages++;
      if (m.rows.length > PAGE) problems.push(`a page of ${m.rows.length} rows`);
      if (m.last === (m.offset === undefined)) problems.push(`page ${pages}: last=${m.last} with offset ${m.offset}`);
      m.rows.forEach((row, i) => {
        rows.set(m.keys[i]!, row);
        note(m.keys[i]!, row);
      });
      inSnapshot = !m.last;
      done ||= m.last;
    } else if (m.type === 'change') {
      if (!done) problems.push('a change before the last snapshot page');
      if (m.op === 'delete') rows.delete(m.key);
      else {
        rows.set(m.key, m.row);
        note(m.key, m.row);
      }
    }
  });
  return { ws, rows, problems, pages: () => pages, done: () => done };
}

for (const partitions of [1, 3]) {
  t.test(`${partitions} partition(s): paged snapshots under concurrent writes converge${partitions === 1 ? ' and never step back' : ''}`, async (t) => {
    const r = await startRedis(t);
    const { app, url } = await listening(t, r.url, { WS_SNAPSHOT_ROWS: String(PAGE) });
    await app.inject({ method: 'PUT', url: '/v1/streams/s', payload: { partitions, partitionKey: 'u' } });
    const rand = rng(partitions);
    const batch = (n: number) => Array.from({ length: n }, () => ({ k: `k${Math.floor(rand() * KEYS)}`, u: Math.floor(rand() * 1e6) }));
    await post(app, 's', [...Array.from({ length: KEYS }, (_, i) => ({ k: `k${i}`, u: i })), ...batch(200)]);
    const id = await createQuery(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
    await caughtUp(app, id);
    const watchers: ReturnType<typeof watch>[] = [];
    t.teardown(() => watchers.forEach((w) => w.ws.terminate()));
    // Subscribers join while the writes go on, so pages are read between commits.
    for (let round = 0; round < 12; round++) {
      if (round % 2 === 0) watchers.push(watch(url, id));
      await post(app, 's', batch(60));
      await new Promise((ok) => setTimeout(ok, 20 + Math.floor(rand() * 60)));
    }
    await caughtUp(app, id);
    const expected = canon(await pull(app, id));
    t.equal(expected.length, KEYS, `${KEYS} rows`);
    for (const [i, w] of watchers.entries()) {
      await waitUntil(`subscriber ${i} converged`, async () => JSON.stringify(canon(w.rows.values())) === JSON.stringify(expected), 15_000, 50);
      t.ok(w.pages() >= Math.ceil(KEYS / PAGE), `subscriber ${i}: the snapshot came in ${w.pages()} pages`);
      if (partitions === 1) t.same(w.problems, [], `subscriber ${i}: pages and changes never stepped a row back`);
      else t.same(w.problems.filter((p) => !p.includes('stepped back')), [], `subscriber ${i}: page sizes and offsets as documented`);
    }
  });
}

t.test('a filtered snapshot pages too, and SSE pages before the last carry an empty event id', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url, { WS_SNAPSHOT_ROWS: String(PAGE) });
  await post(app, 's', Array.from({ length: 100 }, (_, i) => ({ k: `k${String(i).padStart(3, '0')}`, u: i % 2 })));
  const id = await createQuery(app, 'SELECT k, MAX(u) AS odd, COUNT(*) AS n FROM s GROUP BY k');
  await caughtUp(app, id);
  const w = watch(url, id, 'odd:1');
  t.teardown(() => w.ws.terminate());
  await waitUntil('filtered snapshot', async () => w.done());
  t.equal(w.rows.size, 50, 'the 50 matching rows');
  t.ok([...w.rows.values()].every((row) => row.odd === 1), 'only rows that match');
  t.same(w.problems, []);
  // Leaving the filter after a paged snapshot is a delete (the pages' keys were held).
  await post(app, 's', [{ k: 'k001', u: 7 }]);
  await caughtUp(app, id);
  await waitUntil('k001 left the filter', async () => !w.rows.has(JSON.stringify(['k001'])));

  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const res = await fetch(`${url}/v1/queries/${id}/events`, { signal: ac.signal });
  const reader = res.body!.getReader();
  let text = '';
  while (!/event: snapshot\nid: \d+-\d+\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  ac.abort();
  const events = text.split('\n\n').filter((e) => e.startsWith('event: snapshot'));
  t.equal(events.length, Math.ceil(100 / PAGE), `${events.length} snapshot events`);
  t.ok(events.slice(0, -1).every((e) => e.split('\n')[1] === 'id:'), 'every page but the last resets the event id');
  t.match(events[events.length - 1]!, /\nid: \d+-\d+\n/, 'the last page carries the offset as its id');
});
