// Every event answered 201 survives a SIGKILL of Redis (appendfsync always) in the middle of a load.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';
import { waitUntil } from '../helpers/wait.js';

t.test('redis-server killed with SIGKILL mid-load and restarted: every acknowledged event is in the stream', async (t) => {
  const r = await startRedis(t, { persistence: true, appendfsync: 'always' });
  const app = await startApp(t, r.url);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;

  const acked = new Map<string, number>(); // entry id → seq
  let refused = 0;
  let seq = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const batch = Array.from({ length: 5 }, () => ({ seq: seq++, v: Math.random() }));
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/streams/load/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        if (res.status === 201) {
          const { ids } = (await res.json()) as { ids: string[] };
          ids.forEach((id, i) => acked.set(id, batch[i]!.seq));
        } else {
          refused++;
          await res.arrayBuffer();
          await new Promise((ok) => setTimeout(ok, 20));
        }
      } catch {
        refused++;
      }
    }
  };
  const workers = Array.from({ length: 8 }, () => worker());
  // Waited for, not timed: on a loaded machine (fsync on every write, a cluster) 700 ms held 50 events.
  await waitUntil('load flowing', async () => acked.size > 100, 30_000, 20);
  const before = acked.size;
  await r.server.kill();
  await new Promise((ok) => setTimeout(ok, 200));
  await r.server.start();
  await waitUntil('load resumed', async () => acked.size > before + 100, 30_000, 20);
  stop = true;
  await Promise.all(workers);

  t.ok(before > 100, `load was flowing before the kill (${before} events acknowledged)`);
  t.ok(acked.size > before, `load resumed after the restart (${acked.size} acknowledged in all)`);
  t.ok(refused > 0, `requests during the outage were refused, not lost (${refused})`);
  const stored = new Map<string, number>();
  for (const e of (await r.client.xRange(keys.events(part('load', 0)), '-', '+'))!) stored.set(e.id, (JSON.parse(e.message.e!) as { seq: number }).seq);
  const missing = [...acked].filter(([id, s]) => stored.get(id) !== s);
  t.same(missing, [], 'every 201 event is stored with its content');
});
