// A sink runner stopped while its target is still opening ends instead of delivering on: the
// process that lost the query's first task must not keep a second writer going.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { SinkRunner } from '../../src/sinks/sink-runner.js';
import { SinkState } from '../../src/sinks/sink-state.js';
import type { SinkTarget } from '../../src/sinks/sink-target.js';
import type { QueryDefinition } from '../../src/runtime/query-definition.js';

t.test('stop() during open(): the runner ends, never subscribes, and closes its target', async (t) => {
  const r = await startRedis(t);
  const app = await startApp(t, r.url, { REGISTRY_POLL: '100ms' });
  const created = await app.inject({ method: 'POST', url: '/v1/queries', payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k' } });
  const def = (await app.sg.queryRegistry.get(created.json<{ id: string }>().id)) as QueryDefinition;
  let opened = 0;
  let closed = 0;
  let applied = 0;
  // A target whose open() is slow, like a PostgreSQL still connecting.
  const slow = (): SinkTarget => ({
    open: () => new Promise((ok) => setTimeout(() => { opened++; ok(undefined); }, 300)),
    snapshot: async () => void applied++,
    changes: async () => void applied++,
    close: async () => void closed++,
  });
  const runner = new SinkRunner(def, 'slow', slow, { hub: app.push.hub, log: app.log, state: new SinkState(r.client, 'sg:test:sink', 'test') });
  runner.start();
  await new Promise((ok) => setTimeout(ok, 50));
  const stopping = runner.stop();
  const ended = await Promise.race([stopping.then(() => true), new Promise<boolean>((ok) => setTimeout(() => ok(false), 3_000))]);
  t.ok(ended, 'stop() returns');
  t.equal(opened, 1, 'the open that was under way finished');
  t.equal(closed, 1, 'and its target was closed');
  t.equal(applied, 0, 'nothing was delivered after the stop');
  t.equal(app.push.hub.stats().subscribers, 0, 'no subscription was left behind');
});
