// The multiplexed socket, server-side filters and shutdown (close 1001, then resume on another process).
import t from 'tap';
import WebSocket from 'ws';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, caughtUp, converged, client, pull, canon } from '../helpers/push.js';
import type { ServerMessage } from '../../src/push/messages.js';
import { matches, parseFilter } from '../../src/runtime/row-filter.js';

t.test('one socket follows two queries; unsubscribe stops one; bad messages get error messages', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url);
  const q1 = await createQuery(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  const q2 = await createQuery(app, 'SELECT k, SUM(amount) AS total FROM s GROUP BY k');
  await post(app, 's', [{ k: 1, amount: 2 }]);
  await caughtUp(app, q1);
  await caughtUp(app, q2);
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`);
  t.teardown(() => ws.terminate());
  const got: ServerMessage[] = [];
  ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as ServerMessage));
  await new Promise((ok) => ws.on('open', ok));
  ws.send(JSON.stringify({ type: 'subscribe', query: q1 }));
  ws.send(JSON.stringify({ type: 'subscribe', query: q2 }));
  ws.send('not json');
  ws.send(JSON.stringify({ type: 'subscribe', query: 'q_ffffffffffffffff' }));
  await waitUntil('two snapshots', async () => got.filter((m) => m.type === 'snapshot').length === 2);
  const snaps = got.filter((m) => m.type === 'snapshot');
  t.same(snaps.map((m) => m.query).sort(), [q1, q2].sort(), 'each snapshot names its query');
  await waitUntil('two errors', async () => got.filter((m) => m.type === 'error').length === 2);
  t.same(got.filter((m) => m.type === 'error').map((m) => m.type === 'error' && m.code).sort(), ['SG_ERR_BAD_MESSAGE', 'SG_ERR_QUERY_NOT_FOUND']);

  await post(app, 's', [{ k: 2, amount: 5 }]);
  await waitUntil('a change from each', async () => new Set(got.filter((m) => m.type === 'change').map((m) => m.query)).size === 2);
  ws.send(JSON.stringify({ type: 'unsubscribe', query: q1 }));
  await waitUntil('unsubscribed', async () => got.some((m) => m.type === 'unsubscribed' && m.query === q1));
  const before = got.length;
  await post(app, 's', [{ k: 3, amount: 1 }]);
  await caughtUp(app, q1);
  await waitUntil('q2 change', async () => got.slice(before).some((m) => m.type === 'change' && m.query === q2 && m.key.includes('3')));
  t.notOk(got.slice(before).some((m) => m.type === 'change' && m.query === q1), 'nothing more from the unsubscribed query');
});

t.test('a filter on an output column: rows that stop matching become deletes; the view equals the filtered pull', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url);
  const id = await createQuery(app, 'SELECT k, SUM(amount) AS total FROM s GROUP BY k');
  const filter = 'total>=10,k!=z';
  const c = client(t, { url, query: id, where: filter });
  await waitUntil('snapshot', async () => c.offset !== undefined);
  for (let round = 0; round < 6; round++) {
    await post(app, 's', Array.from({ length: 12 }, (_, i) => ({ k: 'wxyz'[i % 4], amount: round % 2 ? -4 : 7 })));
    await caughtUp(app, id);
    const f = parseFilter(filter);
    const expected = canon((await pull(app, id)).filter((row) => matches(f, row)));
    await waitUntil(`round ${round}: filtered view`, async () => JSON.stringify(canon(c.rows.values())) === JSON.stringify(expected), 10_000);
    t.ok(true, `round ${round}: ${expected.length} matching rows agree`);
  }
});

t.test('shutdown closes sockets with 1001 and the client resumes on another process without loss', async (t) => {
  const r = await startRedis(t);
  const a = await listening(t, r.url);
  const b = await listening(t, r.url, { ROLE: 'api' });
  const id = await createQuery(a.app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  await post(a.app, 's', [{ k: 1 }]);
  await caughtUp(a.app, id);
  const codes: number[] = [];
  let target = a.url;
  const offsets: string[] = [];
  // Reconnects go wherever `target` points (a load balancer would do this).
  const c = client(t, { url: () => target, query: id, reconnectMinMs: 20, onClose: (code) => codes.push(code), onChange: (m) => offsets.push(m.offset) });
  await waitUntil('snapshot', async () => c.offset !== undefined);
  target = b.url;
  await post(a.app, 's', [{ k: 2 }]);
  await waitUntil('first change', async () => offsets.length === 1);
  await a.app.close();
  await waitUntil('closed with 1001', async () => codes.length > 0);
  t.equal(codes[0], 1001, 'going away');
  await post(b.app, 's', [{ k: 3 }, { k: 4 }]);
  await waitUntil('resumed on b', async () => c.connections === 2);
  await converged(b.app, id, c, 'rows equal the pull results after the move');
  t.equal(new Set(offsets).size, offsets.length, 'no offset twice across the move');
});

t.test('idle connections get heartbeats; deleting the query sends an error and closes with 4404', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url, { WS_HEARTBEAT: '100ms' });
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/queries/${id}/subscribe`);
  t.teardown(() => ws.terminate());
  const got: ServerMessage[] = [];
  let closed: number | undefined;
  ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()) as ServerMessage));
  ws.on('close', (code) => (closed = code));
  await waitUntil('two heartbeats', async () => got.filter((m) => m.type === 'heartbeat').length >= 2);
  t.ok(got.some((m) => m.type === 'snapshot'), 'after the snapshot');
  const del = await app.inject({ method: 'DELETE', url: `/v1/queries/${id}` });
  t.equal(del.statusCode, 204);
  await waitUntil('closed', async () => closed !== undefined, 15_000);
  t.equal(closed, 4404, 'closed with 4404');
  t.ok(got.some((m) => m.type === 'error' && m.code === 'SG_ERR_QUERY_DELETED'), 'told why first');
});
