// WebSocket subscribe end to end: snapshot + changes applied by key equal the pull results.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, caughtUp, converged, client, opened } from '../helpers/push.js';
import type { ChangeMessage, SnapshotMessage } from '../../src/push/messages.js';

const SQL = 'SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY k HAVING SUM(amount) < 40';

t.test('snapshot + changes applied by key equal the pull results at every quiet point, deletes included', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url);
  await post(app, 's', [{ k: 'a', amount: 5 }, { k: 'b', amount: 7 }]);
  const id = await createQuery(app, SQL);
  await caughtUp(app, id);
  const snapshots: SnapshotMessage[] = [];
  const changes: ChangeMessage[] = [];
  const c = client(t, { url, query: id, onSnapshot: (m) => snapshots.push(m), onChange: (m) => changes.push(m) });
  await waitUntil('snapshot', async () => snapshots.length === 1);
  t.same(snapshots[0]!.rows.length, 2, 'the snapshot holds the two rows');
  t.equal(snapshots[0]!.keys.length, 2, 'with their keys');
  for (let round = 0; round < 8; round++) {
    // Amounts swing up and down, so rows leave HAVING (delete) and come back (upsert).
    const events = Array.from({ length: 30 }, (_, i) => ({ k: 'abcdef'[(i + round) % 6], amount: round % 2 ? -3 : 4 }));
    await post(app, 's', events);
    await caughtUp(app, id);
    const rows = await converged(app, id, c, `round ${round}: pushed rows equal pulled rows`);
    t.ok(true, `round ${round}: ${rows.length} rows agree`);
  }
  t.ok(changes.some((m) => m.op === 'delete'), 'deletes were pushed');
  t.ok(changes.some((m) => m.op === 'upsert'), 'upserts were pushed');
  t.equal(snapshots.length, 1, 'one snapshot only');
  const offsets = changes.map((m) => m.offset);
  t.equal(new Set(offsets).size, offsets.length, 'no offset twice');
});

t.test('from= resumes after the offset without a snapshot; a trimmed-away offset gets an error and a fresh snapshot', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url, { CHANGES_MAX_LENGTH: '100' });
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  await post(app, 's', [{ k: 1 }, { k: 2 }]);
  await caughtUp(app, id);
  const first: ChangeMessage[] = [];
  const c1 = client(t, { url, query: id, onChange: (m) => first.push(m) });
  await opened(c1);
  await waitUntil('snapshot', async () => c1.offset !== undefined);
  await post(app, 's', [{ k: 3 }]);
  await waitUntil('one change', async () => first.length === 1);
  const mid = first[0]!.offset;
  await post(app, 's', [{ k: 4 }, { k: 5 }]);
  await caughtUp(app, id);
  let snap = 0;
  const resumed: ChangeMessage[] = [];
  const c2 = client(t, { url, query: id, from: mid, onSnapshot: () => snap++, onChange: (m) => resumed.push(m) });
  await waitUntil('two replayed changes', async () => resumed.length === 2);
  t.equal(snap, 0, 'no snapshot on resume');
  t.same(resumed.map((m) => m.row.k).sort(), [4, 5], 'exactly the changes after the offset');
  c2.close();

  // Enough commits to trim the changes stream (MAXLEN ~ 100) past `mid`.
  for (let i = 0; i < 30; i++) await post(app, 's', Array.from({ length: 20 }, (_, j) => ({ k: 100 + i * 20 + j })));
  await caughtUp(app, id);
  const codes: string[] = [];
  let snapshots = 0;
  const c3 = client(t, { url, query: id, from: mid, onError: (m) => codes.push(m.code), onSnapshot: () => snapshots++ });
  await waitUntil('fresh snapshot', async () => snapshots === 1);
  t.same(codes, ['SG_ERR_OFFSET_EXPIRED'], 'told the offset expired');
  await converged(app, id, c3, 'the fresh snapshot equals the pull results');
});
