// Registry writes from many processes are atomic: concurrent read-modify-writes through separate
// connections lose nothing (compare-and-set), and a query being deleted is not revived by a
// concurrent pause, resume or failure.
import t from 'tap';
import { pino } from 'pino';
import { startRedis } from '../helpers/redis.js';
import { connectRedis } from '../../src/redis/client.js';
import { QueryRegistry } from '../../src/runtime/query-registry.js';
import type { QueryDefinition } from '../../src/runtime/query-definition.js';

const def: QueryDefinition = { id: 'q1', name: '', sql: 'SELECT COUNT(*) AS n FROM s', emit: 'changes', start: 'latest', latenessMs: 0, limits: {}, stream: 's', partitions: 1, status: 'running', createdAt: new Date(0).toISOString() };

t.test('40 concurrent updates from 4 connections: none lost, the version counts each', async (t) => {
  const r = await startRedis(t);
  const log = pino({ level: 'silent' });
  const clients = await Promise.all(Array.from({ length: 4 }, () => connectRedis({ url: r.url, log })));
  t.teardown(() => Promise.all(clients.map((c) => c.close())));
  const registries = clients.map((c) => new QueryRegistry(c));
  await registries[0]!.put(def);
  const before = Number(await registries[0]!.version());
  await Promise.all(Array.from({ length: 40 }, (_, i) => registries[i % 4]!.update('q1', (d) => ({ ...d, name: `${d.name}${String.fromCharCode(65 + (i % 26))}` }))));
  const after = (await registries[1]!.get('q1'))!;
  t.equal(after.name.length, 40, 'every one of the 40 appends is there');
  t.equal(Number(await registries[0]!.version()) - before, 40, 'one version bump per write');
  t.equal(await registries[2]!.update('gone', (d) => d), undefined, 'an update of a missing query answers undefined');
});

t.test('a deleting query stays deleting under concurrent status changes', async (t) => {
  const r = await startRedis(t);
  const registry = new QueryRegistry(r.client);
  await registry.put(def);
  await registry.update('q1', (d) => ({ ...d, status: 'deleting' }));
  const next = await registry.update('q1', (d) => (d.status === 'deleting' ? d : { ...d, status: 'paused' }));
  t.equal(next?.status, 'deleting', 'the pause did not overwrite deleting');
  t.equal((await registry.get('q1'))?.status, 'deleting');
});
