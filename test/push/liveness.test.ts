// A WebSocket peer that stops answering pings (a dropped network sends no close) is cut and its
// subscription freed, while a peer that answers stays connected and keeps receiving.
import t from 'tap';
import WebSocket from 'ws';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, caughtUp, client, opened } from '../helpers/push.js';

t.test('a peer answering no pings is cut after WS_PING_TIMEOUT; a live one stays', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url, { WS_HEARTBEAT: '100ms', WS_PING_TIMEOUT: '500ms' });
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  await post(app, 's', [{ k: 'a' }]);
  await caughtUp(app, id);

  const live = client(t, { url, query: id });
  await opened(live);
  // autoPong off: the socket stays open and reads, but never answers a ping, like a peer behind a dead link.
  const silent = new WebSocket(`${url.replace('http', 'ws')}/v1/queries/${id}/subscribe`, { autoPong: false });
  let pings = 0;
  let closedWith: number | undefined;
  silent.on('ping', () => pings++);
  silent.on('close', (code) => (closedWith = code));
  silent.on('error', () => undefined);
  t.teardown(() => silent.terminate());
  await new Promise<void>((ok) => silent.on('open', () => ok()));
  await waitUntil('both subscribed', async () => app.push.hub.stats().subscribers === 2, 10_000);
  const opensAt = Date.now();

  await waitUntil('the silent peer is cut', async () => closedWith !== undefined, 10_000, 20);
  const after = Date.now() - opensAt;
  t.ok(pings >= 3, `it was pinged (${pings} pings) before being cut`);
  t.ok(after >= 400, `not before the timeout (${after} ms)`);
  t.equal(closedWith, 1006, 'cut without a close handshake: the peer would not answer one');
  await waitUntil('its subscription is freed', async () => app.push.hub.stats().subscribers === 1, 5_000);
  t.equal(app.push.hub.dropped, 1, 'counted as a dropped subscriber');
  t.equal(app.websocketServer.clients.size, 1, 'the live socket remains');

  // The live client answered every ping (ws does by default) and still gets changes.
  const before = live.offset;
  await post(app, 's', [{ k: 'b' }]);
  await waitUntil('the live client receives the new change', async () => live.offset !== before && live.rows.size === 2, 10_000);
  t.equal(live.connections, 1, 'never reconnected');
});
