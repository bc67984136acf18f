// Server-Sent Events: the same snapshot and changes, one event each with the offset as its id; Last-Event-ID resumes.
import t from 'tap';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, caughtUp } from '../helpers/push.js';

interface SseEvent { event: string; id?: string; data: { type: string; offset?: string; op?: string; row?: Record<string, unknown> } }

/** Reads an event stream with fetch until aborted, collecting events. */
function readEvents(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  const ctl = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { headers, signal: ctl.signal });
    if (res.headers.get('content-type') !== 'text/event-stream') throw new Error(`content-type ${res.headers.get('content-type')}`);
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const f = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        events.push({ event: f.event!, ...(f.id ? { id: f.id } : {}), data: JSON.parse(f.data!) as SseEvent['data'] });
      }
    }
  })().catch((err: unknown) => {
    if ((err as Error).name !== 'AbortError') throw err;
  });
  return { events, stop: async () => { ctl.abort(); await done; } };
}

t.test('SSE: snapshot then changes as events; Last-Event-ID resumes exactly after it', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url);
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  await post(app, 's', [{ k: 1 }]);
  await caughtUp(app, id);
  const first = readEvents(`${url}/v1/queries/${id}/events`);
  await waitUntil('snapshot event', async () => first.events.length >= 1);
  t.equal(first.events[0]!.event, 'snapshot');
  t.equal(first.events[0]!.id, first.events[0]!.data.offset, 'the event id is the offset');
  await post(app, 's', [{ k: 2 }]);
  await waitUntil('a change event', async () => first.events.some((e) => e.event === 'change'));
  const last = first.events.filter((e) => e.event === 'change').at(-1)!;
  t.equal(last.id, last.data.offset);
  await first.stop();

  await post(app, 's', [{ k: 3 }]);
  await post(app, 's', [{ k: 4 }]);
  await caughtUp(app, id);
  const second = readEvents(`${url}/v1/queries/${id}/events`, { 'last-event-id': last.id! });
  await waitUntil('two replayed changes', async () => second.events.filter((e) => e.event === 'change').length === 2);
  t.notOk(second.events.some((e) => e.event === 'snapshot'), 'no snapshot on resume');
  t.same(second.events.filter((e) => e.event === 'change').map((e) => e.data.row!.k), [3, 4], 'exactly the changes after Last-Event-ID');
  await post(app, 's', [{ k: 5 }]);
  await waitUntil('live after the replay', async () => second.events.filter((e) => e.event === 'change').length === 3);
  await second.stop();
});
