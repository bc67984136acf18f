// The push span: one per delivered commit, linked to the process span whose changes it pushed.
import t from 'tap';
import { SpanKind } from '@opentelemetry/api';
import { startRedis } from '../helpers/redis.js';
import { captureSpans } from '../helpers/spans.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, caughtUp, client } from '../helpers/push.js';

const exporter = captureSpans();

t.test('a push span links to the process span of the commit it pushed', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url);
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  const c = client(t, { url, query: id });
  await waitUntil('snapshot', async () => c.offset !== undefined);
  exporter.reset();
  await post(app, 's', [{ k: 'a' }]);
  await caughtUp(app, id);
  await waitUntil('the change arrived', async () => c.rows.size === 1);
  const spans = await waitUntil('a push span', async () => {
    const all = exporter.getFinishedSpans();
    return all.some((s) => s.name === `push ${id}`) ? all : undefined;
  });
  const process = spans.find((s) => s.name === `process ${id}`)!;
  const push = spans.find((s) => s.name === `push ${id}`)!;
  t.ok(process, 'a process span');
  t.equal(push.kind, SpanKind.PRODUCER);
  t.ok(push.links.some((l) => l.context.spanId === process.spanContext().spanId), 'linked to the process span');
  t.match(push.attributes, { 'messaging.system': 'websocket', 'streamgate.changes': 1, 'streamgate.subscribers': 1 });
});
