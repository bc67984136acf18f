// Exact resume under load: over 1,000+ changes and a dozen dropped connections, every offset arrives exactly once.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { keys } from '../../src/redis/keys.js';
import { compareIds } from '../../src/util/stream-ids.js';
import { listening, post, createQuery, caughtUp, converged, client } from '../helpers/push.js';
import { part } from '../helpers/partitions.js';

t.test('1,500 changes, 12 disconnects with resume: no offset twice, none missing, rows equal the pull results', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url);
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY k');
  await post(app, 's', [{ k: -1, amount: 1 }]);
  await caughtUp(app, id);
  const received: string[] = [];
  let snapshots = 0;
  let startOffset = '';
  const errors: string[] = [];
  const c = client(t, {
    url,
    query: id,
    reconnectMinMs: 10,
    reconnectMaxMs: 50,
    onSnapshot: (m) => {
      snapshots++;
      startOffset = m.offset;
    },
    onChange: (m) => received.push(m.offset),
    onError: (m) => errors.push(m.code),
  });
  await waitUntil('snapshot', async () => snapshots === 1);

  // Unique keys: every event is one change. Posting and dropping the socket interleave.
  let seq = 0;
  const posting = (async () => {
    while (seq < 1500) {
      await post(app, 's', Array.from({ length: 25 }, () => ({ k: seq++, amount: seq % 5 })));
      await new Promise((ok) => setTimeout(ok, 15));
    }
  })();
  let drops = 0;
  while (drops < 12) {
    const before = c.connections;
    await waitUntil('connected', async () => c.socket?.readyState === 1, 10_000, 5);
    await new Promise((ok) => setTimeout(ok, 40 + Math.random() * 60));
    c.drop(); // an abrupt loss, not a clean close
    drops++;
    await waitUntil('reconnected', async () => c.connections > before, 10_000, 5);
  }
  await posting;
  await caughtUp(app, id);

  const all = ((await r.client.xRange(keys.task(part('s', 0), id).changes, '-', '+')) ?? []).map((e) => e.id).filter((x) => compareIds(x, startOffset) > 0);
  t.ok(all.length >= 1500, `${all.length} changes after the snapshot`);
  await waitUntil('every change received', async () => received.length >= all.length, 15_000);
  t.equal(new Set(received).size, received.length, 'no offset received twice');
  t.same(received, all, 'every offset after the snapshot, in order, none missing');
  t.ok(c.connections >= 13, `${c.connections} connections (12 drops)`);
  t.equal(snapshots, 1, 'resumed every time, never re-snapshotted');
  t.same(errors, [], 'no error messages');
  await converged(app, id, c, 'rows equal the pull results');
});
