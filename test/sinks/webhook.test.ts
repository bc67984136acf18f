// The webhook sink against a receiver that fails and delays on purpose: every change arrives at
// least once (repeats carry the same offset), each POST is signed, and a batch the receiver always
// refuses is dead-lettered after maxAttempts while the rest goes on.
import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import { createHmac } from 'node:crypto';
import { startRedis } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { FAST } from '../helpers/push.js';
import { waitUntil } from '../helpers/wait.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

const SECRET = 'webhook-secret-0123456789';

interface Received { offset: string; key: string; op: string }

function body(req: IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let b = '';
    req.on('data', (d: Buffer) => (b += d.toString()));
    req.on('end', () => ok(b));
  });
}

t.test('at least once through failures and delays, signed, and dead-lettered after maxAttempts', async (t) => {
  const received: Received[] = [];
  let posts = 0;
  let badSignatures = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    void body(req).then(async (raw) => {
      posts++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const ts = String(req.headers['x-streamgate-timestamp']);
      const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${raw}`).digest('hex');
      if (req.headers['x-streamgate-signature'] !== expected) badSignatures++;
      const msg = JSON.parse(raw) as { type: string; changes?: { op: string; key: string; offset: string }[] };
      // On purpose: a slow answer now and then, failures, and one group
      // the receiver never takes.
      if (Math.random() < 0.2) await new Promise((ok) => setTimeout(ok, 150));
      const poison = msg.changes?.some((c) => c.key.includes('poison'));
      // Random failures only on a batch's first two attempts, so that only the poison runs out.
      const fail = poison || (Number(req.headers['x-streamgate-attempt']) <= 2 && Math.random() < 0.4);
      // A failure after reading: the receiver may have seen it (at least once, not at most once).
      if (!fail || Math.random() < 0.5) for (const c of msg.changes ?? []) received.push({ offset: c.offset, key: c.key, op: c.op });
      inFlight--;
      res.writeHead(fail ? 500 : 204).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.teardown(() => new Promise<void>((ok) => server.close(() => ok())));
  const port = (server.address() as { port: number }).port;

  const r = await startRedis(t);
  const app = await startApp(t, r.url, FAST);
  const created = await app.inject({
    method: 'POST', url: '/v1/queries',
    payload: { sql: 'SELECT k, COUNT(*) AS n FROM s GROUP BY k', sinks: [{ type: 'webhook', name: 'hook', url: `http://127.0.0.1:${port}/hook`, secret: SECRET, maxAttempts: 4, retryBaseMs: 10, batchSize: 5, concurrency: 3 }] },
  });
  t.equal(created.statusCode, 201, 'registered with a webhook sink');
  t.notMatch(created.body, SECRET, 'the answer hides the secret');
  const id = created.json<{ id: string }>().id;
  await waitUntil('the sink started', async () => (await app.inject(`/v1/queries/${id}/sinks`)).json<{ sinks: { state: string }[] }>().sinks[0]!.state === 'running');
  for (let round = 0; round < 10; round++) {
    const events = Array.from({ length: 20 }, (_, i) => ({ k: round === 5 && i === 0 ? 'poison' : `k${(i * 7 + round) % 13}` }));
    await app.inject({ method: 'POST', url: '/v1/streams/s/events', payload: events });
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const changesKey = keys.task(part('s', 0, 1), id).changes;
  const status = await waitUntil('every change delivered or dead-lettered', async () => {
    const s = (await app.inject(`/v1/queries/${id}/sinks`)).json<{ sinks: { lagChanges: number; delivered: number; deadLettered: number; lastError: string | null }[] }>().sinks[0]!;
    const committed = (await r.client.xLen(changesKey)) > 0;
    return committed && s.lagChanges === 0 ? s : undefined;
  }, 60_000, 200);

  const all = ((await r.client.xRange(changesKey, '-', '+')) ?? []).map((e) => e.id);
  const dead = ((await r.client.xRange(keys.sink(part('s', 0, 1), id, 'hook').dead, '-', '+')) ?? []).map((e) => JSON.parse(e.message.body!) as { changes: { offset: string; key: string }[] });
  const deadOffsets = new Set(dead.flatMap((d) => d.changes.map((c) => c.offset)));
  const got = new Set(received.map((x) => x.offset));
  const missing = all.filter((o) => !got.has(o) && !deadOffsets.has(o));
  t.same(missing, [], `each of ${all.length} changes was received or dead-lettered`);
  t.ok(dead.length >= 1 && dead.every((d) => d.changes.some((c) => c.key.includes('poison'))), `the always-refused batch was dead-lettered (${dead.length})`);
  t.ok(dead.length > 0 && status.deadLettered >= 1, `the status counts ${status.deadLettered} dead-lettered changes`);
  t.match(status.lastError, /dead-lettered a batch .* after 4 attempts/, 'and names the last dead letter');
  const byOffset = new Map<string, string>();
  let repeats = 0;
  for (const x of received) {
    const seen = byOffset.get(x.offset);
    if (seen !== undefined) {
      repeats++;
      t.equal(seen, `${x.key}|${x.op}`, `a repeat of offset ${x.offset} is the same change`);
    }
    byOffset.set(x.offset, `${x.key}|${x.op}`);
  }
  t.ok(repeats > 0, `failures after reading caused ${repeats} repeats, each identifiable by its offset`);
  t.equal(badSignatures, 0, `all ${posts} POSTs carried a valid signature`);
  t.ok(maxInFlight <= 3, `at most concurrency = 3 POSTs at once (${maxInFlight})`);
});
