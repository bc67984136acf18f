// Idempotency-Keys and event ids belong to the API key that sent them: another key's request with
// the same Idempotency-Key is its own request (not a replay of the first, nor a mismatch), and its
// event with the same id is written; the same key repeating itself is still deduplicated.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

t.test('two keys, one Idempotency-Key and one event id', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { API_KEYS: `${A}:ingest;${B}:ingest` });
  const post = (key: string, idem: string, body: unknown[]) => app.inject({ method: 'POST', url: '/v1/streams/s/events', headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem }, payload: body });
  const first = await post(A, 'order-1', [{ id: 'e1', x: 1 }]);
  t.equal(first.statusCode, 201);
  const other = await post(B, 'order-1', [{ id: 'e1', x: 2 }]);
  t.equal(other.statusCode, 201, "B's request with A's Idempotency-Key is B's own");
  t.notOk(other.headers['idempotent-replayed'], 'not a replay of A');
  t.notSame(other.json<{ ids: string[] }>().ids, first.json<{ ids: string[] }>().ids, 'with its own ids, not A\'s');
  t.equal(await r.client.xLen(keys.events(part('s', 0))), 2, "and B's event with A's event id is written");
  const again = await post(A, 'order-1', [{ id: 'e1', x: 1 }]);
  t.equal(again.headers['idempotent-replayed'], 'true', 'A repeating itself is a replay');
  t.same(again.json<{ ids: string[] }>().ids, first.json<{ ids: string[] }>().ids);
  const dup = await post(A, 'order-2', [{ id: 'e1', x: 9 }]);
  t.equal(dup.statusCode < 300, true);
  t.equal(await r.client.xLen(keys.events(part('s', 0))), 2, "A's event id seen before is still dropped for A");
});
