// A query over a 3-partition stream: rows merged over partitions, composite offsets, resume after drops.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, caughtUp, converged, client } from '../helpers/push.js';

t.test('groups spread over 3 partitions: pushed rows equal the merged pull results, through drops and resumes', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url);
  // Partitioned by `u`, so every group k has partial states in several partitions.
  const put = await app.inject({ method: 'PUT', url: '/v1/streams/s', payload: { partitions: 3, partitionKey: 'u' } });
  t.ok(put.statusCode < 300, 'a 3-partition stream, partitioned by u');
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY k HAVING SUM(amount) < 30');
  await post(app, 's', [{ k: 'a', u: 1, amount: 1 }]);
  await caughtUp(app, id);
  const offsets: string[] = [];
  let snapshotOffset = '';
  const c = client(t, { url, query: id, reconnectMinMs: 10, onSnapshot: (m) => (snapshotOffset = m.offset), onChange: (m) => offsets.push(m.offset) });
  await waitUntil('snapshot', async () => snapshotOffset !== '');
  t.equal(snapshotOffset.split(',').length, 3, `a composite offset, one id per partition (${snapshotOffset})`);
  const sizes: number[] = [];
  for (let round = 0; round < 8; round++) {
    await post(app, 's', Array.from({ length: 30 }, (_, i) => ({ k: 'abcde'[i % 5], u: i + round, amount: round % 3 === 2 ? -9 : 3 })));
    if (round % 2 === 1) c.drop();
    await caughtUp(app, id);
    const rows = await converged(app, id, c, `round ${round}: pushed rows equal the pull results`);
    t.pass(`round ${round}: ${rows.length} merged rows agree`);
    sizes.push(rows.length);
  }
  t.ok(sizes.some((n) => n === 0) && sizes.some((n) => n === 5), `rows left HAVING and came back (${sizes.join(' ')})`);
  t.ok(c.connections >= 5, `${c.connections} connections: resumed after every drop`);
  t.equal(new Set(offsets).size, offsets.length, 'no offset twice');
  const parts = offsets.map((o) => o.split(','));
  t.ok(parts.every((p) => p.length === 3), 'every change offset is composite');
});
