// @streamgate/client against a real gateway process and redis-server, as an app would use it.
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { LiveClient, fetchResults, listQueries, StreamgateError, type ChangeMessage, type LiveClientOptions } from '@streamgate/client';
import { liveGateway, ADMIN_KEY, READER_KEY, INGEST_KEY } from '../helpers/live-gateway.js';
import { waitUntil } from '../helpers/wait.js';

interface Total {
  k: string;
  n: number;
  total: number;
}

function live<R>(t: Test, opts: LiveClientOptions<R>): LiveClient<R> {
  const c = new LiveClient<R>(opts).start();
  t.teardown(() => c.close());
  return c;
}

/** Redis stream ids, and comma-joined lists of them, in order. */
function before(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am < bm || (am === bm && as < bs);
}

t.test('a snapshot, then the changes a POST makes, as typed rows, with the key in the subprotocol', async (t) => {
  const g = await liveGateway(t);
  await g.post('orders', [{ k: 'eu', amount: 3 }, { k: 'us', amount: 4 }, { k: 'eu', amount: 5 }]);
  const id = await g.createQuery('SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY k');
  await g.caughtUp(id);

  const changes: ChangeMessage<Total>[] = [];
  let snapshot: Total[] | undefined;
  const c = live<Total>(t, {
    url: g.url,
    query: id,
    apiKey: READER_KEY,
    onSnapshot: (m) => (snapshot = m.rows),
    onChange: (m) => changes.push(m),
  });
  await waitUntil('the snapshot', async () => snapshot);
  t.same([...c.rows.values()].sort((a, b) => a.k.localeCompare(b.k)), [{ k: 'eu', n: 2, total: 8 }, { k: 'us', n: 1, total: 4 }], 'the snapshot holds the current rows');
  t.equal(changes.length, 0, 'no change before a POST');

  await g.post('orders', [{ k: 'eu', amount: 10 }, { k: 'asia', amount: 1 }]);
  await waitUntil('the changes', async () => c.rows.get(changes.find((m) => m.row.k === 'eu')?.key ?? '')?.total === 18 && c.rows.size === 3);
  const eu = [...c.rows.values()].find((r) => r.k === 'eu')!;
  // Typed: `eu.total` is a number to the compiler, and the gateway sent one.
  t.equal(eu.total + 0.5, 18.5, 'a typed number column');
  t.same(changes.map((m) => [m.op, m.row.k]).sort(), [['upsert', 'asia'], ['upsert', 'eu']], 'one upsert per changed row');
  t.same(await fetchResults<Total>({ url: g.url, apiKey: READER_KEY, query: id }).then((rows) => rows.map((r) => r.k).sort()), ['asia', 'eu', 'us'], 'the pull helper agrees');
  t.equal(c.connections, 1);
});

t.test('the key: refused without it or with a wrong one (no retry loop), accepted in the subprotocol by a WHATWG WebSocket', async (t) => {
  const g = await liveGateway(t);
  const id = await g.createQuery('SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  for (const [what, apiKey, status] of [['a wrong key', 'wrong-key-0123456789abcdef', 401], ['a key without the subscribe scope', INGEST_KEY, 403]] as const) {
    const closes: number[] = [];
    const c = live(t, { url: g.url, query: id, apiKey, reconnectMinMs: 10, onClose: (code) => closes.push(code) });
    await waitUntil(`${what} refused`, async () => c.closed);
    await new Promise((ok) => setTimeout(ok, 200));
    t.same(closes, [status], `${what}: ${status}, and no reconnect`);
  }

  // The browser path: the platform WebSocket API, which cannot send headers. Node 20 has none, so
  // `ws`'s WHATWG interface stands in for it; the key travels only as `bearer.<key>`.
  const platform = globalThis as { WebSocket?: unknown };
  const had = platform.WebSocket;
  platform.WebSocket = WebSocket;
  t.teardown(() => {
    platform.WebSocket = had;
  });
  let offset: string | undefined;
  const c = live<{ k: string; n: number }>(t, { url: g.url, query: id, apiKey: READER_KEY, transport: 'platform', onSnapshot: (m) => (offset = m.offset) });
  await waitUntil('a snapshot through the platform WebSocket', async () => offset);
  await g.post('s', [{ k: 'a' }, { k: 'a' }]);
  await waitUntil('its change', async () => [...c.rows.values()].some((r) => r.n === 2));
  t.pass('subscribed with the key in the subprotocol');

  await t.rejects(listQueries({ url: g.url, apiKey: 'wrong-key-0123456789abcdef' }), StreamgateError, 'the pull helper throws the problem');
  t.same((await listQueries({ url: g.url, apiKey: READER_KEY })).map((q) => q.id), [id]);
});

t.test('resume by offset: 10 dropped connections while events flow, no change missed or repeated', async (t) => {
  const g = await liveGateway(t);
  await g.post('s', [{ k: -1 }]);
  const id = await g.createQuery('SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  await g.caughtUp(id);
  let snapshots = 0;
  const offsets: string[] = [];
  const keys: unknown[] = [];
  const c = live<{ k: number; n: number }>(t, {
    url: g.url,
    query: id,
    apiKey: READER_KEY,
    reconnectMinMs: 10,
    onSnapshot: () => snapshots++,
    onChange: (m) => {
      offsets.push(m.offset);
      keys.push(m.row.k);
    },
  });
  await waitUntil('the snapshot', async () => snapshots === 1);

  // Unique keys: each event is exactly one change, so what arrives can be counted.
  const TOTAL = 800;
  let seq = 0;
  const posting = (async () => {
    while (seq < TOTAL) {
      await g.post('s', Array.from({ length: 20 }, () => ({ k: seq++ })));
      await new Promise((ok) => setTimeout(ok, 20));
    }
  })();
  for (let drops = 0; drops < 10; drops++) {
    const was = c.connections;
    await waitUntil('open', async () => c.socket?.readyState === 1, 10_000, 5);
    await new Promise((ok) => setTimeout(ok, 30 + Math.random() * 60));
    c.drop();
    await waitUntil('reconnected', async () => c.connections > was, 10_000, 5);
  }
  await posting;
  await g.caughtUp(id);
  await waitUntil('every change', async () => keys.length >= TOTAL, 15_000);
  await new Promise((ok) => setTimeout(ok, 300));
  t.equal(keys.length, TOTAL, `${TOTAL} changes, one per event`);
  t.same([...keys].sort((a, b) => Number(a) - Number(b)), Array.from({ length: TOTAL }, (_, i) => i), 'every key once: none missing, none twice');
  t.ok(offsets.every((o, i) => i === 0 || before(offsets[i - 1]!, o)), 'offsets strictly increase across reconnects');
  t.equal(snapshots, 1, 'every reconnect resumed from its offset, none re-snapshotted');
  t.ok(c.connections >= 11, `${c.connections} connections`);
  t.equal(c.rows.size, TOTAL + 1, 'the rows equal the snapshot plus every change');
});

t.test('where: only matching rows; a row that stops matching leaves', async (t) => {
  const g = await liveGateway(t);
  const id = await g.createQuery('SELECT k, SUM(amount) AS total FROM s GROUP BY k');
  const c = live<{ k: string; total: number }>(t, { url: g.url, query: id, apiKey: READER_KEY, where: 'total>=10' });
  await waitUntil('connected', async () => c.offset !== undefined);
  await g.post('s', [{ k: 'a', amount: 12 }, { k: 'b', amount: 3 }]);
  await waitUntil('a matches', async () => c.rows.size === 1 && [...c.rows.values()][0]!.k === 'a');
  await g.post('s', [{ k: 'a', amount: -5 }, { k: 'b', amount: 30 }]);
  await waitUntil('b matches, a left', async () => c.rows.size === 1 && [...c.rows.values()][0]!.k === 'b');
  t.pass('the view follows the filter');
});

t.test('a key a subprotocol cannot carry goes as a header on ws', async (t) => {
  const odd = 'reader/key=0123456789abcdef';
  const g = await liveGateway(t, { API_KEYS: `${ADMIN_KEY}:admin;${odd}:query,subscribe;${INGEST_KEY}:ingest` });
  const id = (await g.call<{ id: string }>('POST', '/v1/queries', { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k' }, { key: odd, expect: 201 })).id;
  let offset: string | undefined;
  live(t, { url: g.url, query: id, apiKey: odd, onSnapshot: (m) => (offset = m.offset) });
  await waitUntil('a snapshot', async () => offset);
  t.pass('subscribed');
});
