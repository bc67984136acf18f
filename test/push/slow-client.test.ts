// A client that never reads is closed with a bounded buffer, while 100 normal clients on the same query keep up.
import t from 'tap';
import WebSocket from 'ws';
import type { Socket } from 'node:net';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, caughtUp, canon, pull, client } from '../helpers/push.js';
import type { LiveClient } from '@streamgate/client';

const LIMITS = { WS_SOFT_LIMIT: '50', WS_HARD_LIMIT: '200', WS_HIGH_WATER_BYTES: '65536', WS_STALL_TIMEOUT: '2s', WS_HEARTBEAT: '250ms' };

t.test('a never-reading client is closed, its queue stays bounded by conflation, 100 others keep receiving', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url, LIMITS);
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n, MAX(pad) AS pad FROM s GROUP BY k');
  await post(app, 's', [{ k: -1, pad: 'x' }]);
  await caughtUp(app, id);

  const normal: LiveClient[] = [];
  for (let i = 0; i < 100; i++) normal.push(client(t, { url, query: id }));
  await waitUntil('100 snapshots', async () => normal.every((c) => c.offset !== undefined), 20_000);
  t.same(app.push.hub.stats(), { tailers: 1, subscribers: 100, entriesRead: 0 }, 'one tailer serves the 100 subscribers');

  // The slow client completes the handshake, then its socket stops reading: TCP fills, then our buffer.
  const slow = new WebSocket(`${url.replace('http', 'ws')}/v1/queries/${id}/subscribe`);
  let slowClose: number | undefined;
  slow.on('close', (code) => (slowClose = code));
  slow.on('error', () => undefined); // the server cuts it; the close event carries the outcome
  await new Promise<void>((ok) => slow.on('open', () => ok()));
  const raw = (slow as unknown as { _socket: Socket })._socket;
  raw.pause();
  t.teardown(() => slow.terminate());

  // About 6 MB of changes to 20 rows: more than loopback TCP buffers hold (about 4 MB). A client
  // that lags is conflated by row key (at most soft limit + 20 waiting); one that never reads makes
  // no progress at all and is closed after WS_STALL_TIMEOUT.
  for (let b = 0; b < 40; b++) await post(app, 's', Array.from({ length: 20 }, (_, i) => ({ k: i, pad: `${b}`.padEnd(8000, 'p') })));
  await waitUntil('the slow client dropped', async () => app.push.hub.dropped >= 1, 60_000, 50);
  t.equal(app.push.hub.dropped, 1, 'exactly one client was dropped as slow');
  t.ok(app.push.hub.peakQueued <= 71, `its queue peaked at ${app.push.hub.peakQueued} messages (soft limit 50 + 20 rows)`);
  await waitUntil('its socket is gone server-side', async () => app.websocketServer.clients.size === 100, 10_000);
  t.equal(app.websocketServer.clients.size, 100, 'the 100 normal sockets remain');
  t.ok(app.push.hub.stats().entriesRead <= 800, `each change read from Redis once (${app.push.hub.stats().entriesRead} entries for 101 subscribers)`);

  await post(app, 's', [{ k: 'after', pad: 'y' }]);
  await caughtUp(app, id);
  const expected = canon(await pull(app, id));
  await waitUntil('every normal client equals the pull results', async () => normal.every((c) => JSON.stringify(canon(c.rows.values())) === JSON.stringify(expected)), 30_000, 100);
  t.ok(normal.every((c) => c.connections === 1), 'no normal client was disconnected');
  t.equal(expected.length, 22, 'with all 22 rows');

  raw.resume();
  await waitUntil('the slow client sees its connection closed', async () => slowClose !== undefined, 10_000);
  t.ok(slowClose === 4008 || slowClose === 1006, `closed with ${slowClose} (4008 when the close frame got through before the cut)`);
});
