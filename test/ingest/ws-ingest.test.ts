// WebSocket ingest: acks in order once Redis holds the events, an error for a bad message (nothing
// written, the connection goes on), back-pressure for a producer that never waits, and a retry by
// message id after a reconnect that writes nothing twice.
import t from 'tap';
import WebSocket from 'ws';
import { startRedis } from '../helpers/redis.js';
import { listening } from '../helpers/push.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';
import { wsIngestStats, WS_INGEST_MAX_INFLIGHT, WS_INGEST_MAX_QUEUED_BYTES } from '../../src/ingest/ws-ingest.js';

interface Answer {
  type: 'ack' | 'error';
  id: string | null;
  ids?: string[];
  replayed?: boolean;
  code?: string;
  message?: string;
  errors?: { index?: number; field: string; message: string }[];
}

const INGEST = 'ingest-key-0123456789abcdef';
const READER = 'reader-key-0123456789abcdef';
const ENV = { API_KEYS: `${INGEST}:ingest;${READER}:query,subscribe`, WS_ALLOWED_ORIGINS: 'https://app.example.com', BODY_LIMIT_BYTES: String(256 * 1024), MAX_EVENTS_PER_REQUEST: '1000' };

/** An open socket, its answers collected in arrival order. */
async function connect(url: string, opts: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<{ ws: WebSocket; answers: Answer[]; next: (n: number) => Promise<Answer[]>; closed: Promise<number> }> {
  const ws = new WebSocket(url, protocols, opts);
  const answers: Answer[] = [];
  const waiters: { n: number; ok: (a: Answer[]) => void }[] = [];
  ws.on('message', (d: Buffer) => {
    answers.push(JSON.parse(d.toString()) as Answer);
    for (const w of waiters.splice(0)) if (answers.length >= w.n) w.ok(answers.slice(0, w.n));
    else waiters.push(w);
  });
  const closed = new Promise<number>((ok) => ws.on('close', (code) => ok(code)));
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  return { ws, answers, closed, next: (n) => (answers.length >= n ? Promise.resolve(answers.slice(0, n)) : new Promise((ok) => waiters.push({ n, ok }))) };
}

t.test('WebSocket ingest', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url, ENV);
  const wsUrl = (stream: string) => `${url.replace('http', 'ws')}/v1/streams/${stream}/ingest`;
  const auth = { headers: { authorization: `Bearer ${INGEST}` } };
  const entries = async (stream: string) => (await r.client.xRange(keys.events(part(stream, 0)), '-', '+')) ?? [];

  t.test('refusals are HTTP answers before any 101', async (t) => {
    const status = (opts: WebSocket.ClientOptions, stream = 'w1') =>
      new Promise<number>((ok) => {
        const ws = new WebSocket(wsUrl(stream), opts);
        ws.on('error', () => undefined);
        ws.on('unexpected-response', (req, res) => {
          req.destroy();
          ok(res.statusCode!);
        });
        ws.on('open', () => {
          ws.close();
          ok(101);
        });
      });
    t.equal(await status({}), 401, 'no key');
    t.equal(await status({ headers: { authorization: `Bearer ${READER}` } }), 403, 'a key without the ingest scope');
    t.equal(await status({ headers: { ...auth.headers, origin: 'https://evil.example.com' } }), 403, 'an Origin not allowed');
    t.equal(await status({ headers: { ...auth.headers, origin: 'https://app.example.com' } }), 101, 'an allowed Origin');
    const plain = await app.inject({ method: 'GET', url: '/v1/streams/w1/ingest', headers: auth.headers });
    t.equal(plain.statusCode, 426, 'a plain GET');
    // Browsers carry the key as a subprotocol.
    const sub = await connect(wsUrl('w1'), {}, ['streamgate.v1', `bearer.${INGEST}`]);
    t.equal(sub.ws.protocol, 'streamgate.v1', 'the key is never echoed');
    sub.ws.close();
  });

  t.test('acks in message order with the ids Redis gave; a bad message writes nothing and the connection goes on', async (t) => {
    const c = await connect(wsUrl('w2'), auth);
    c.ws.send(JSON.stringify({ id: 'm1', events: [{ k: 1 }, { k: 2 }] }));
    c.ws.send(JSON.stringify({ id: 'm2', events: { k: 3 } }));
    c.ws.send(JSON.stringify({ id: 'm3', events: [{ k: 4 }, 'not an event', { id: ['bad'] }] }));
    c.ws.send('{"id": "m4", "events": [');
    c.ws.send(JSON.stringify({ events: [{ k: 5 }] }));
    c.ws.send(JSON.stringify({ id: 'm6', events: [] }));
    c.ws.send(Buffer.from('binary'), { binary: true });
    c.ws.send(JSON.stringify({ id: 'm8', events: [{ k: 6 }] }));
    const answers = await c.next(8);
    t.match(answers[0], { type: 'ack', id: 'm1', ids: [String, String] });
    t.match(answers[1], { type: 'ack', id: 'm2', ids: [String] });
    t.match(answers[2], { type: 'error', id: 'm3', code: 'SG_ERR_BAD_EVENTS', errors: [{ index: 1, message: /JSON object/ }, { index: 2, field: '/id' }] });
    t.match(answers[3], { type: 'error', id: null, code: 'SG_ERR_MALFORMED_BODY' });
    t.match(answers[4], { type: 'error', id: null, code: 'SG_ERR_VALIDATION', errors: [{ field: '/id' }] });
    t.match(answers[5], { type: 'error', id: 'm6', code: 'SG_ERR_BAD_EVENTS' });
    t.match(answers[6], { type: 'error', id: null, code: 'SG_ERR_MALFORMED_BODY' });
    t.match(answers[7], { type: 'ack', id: 'm8' });
    const stored = await entries('w2');
    t.same(stored.map((e) => (JSON.parse(e.message.e!) as { k: number }).k), [1, 2, 3, 6], 'only the good messages, in order');
    t.same(stored.map((e) => e.id), [...answers[0]!.ids!, ...answers[1]!.ids!, ...answers[7]!.ids!], 'acked ids are the stored ones');
    c.ws.close();
  });

  t.test('a message up to BODY_LIMIT_BYTES is taken (past WS_MAX_MESSAGE_BYTES); a larger one closes with 1009', async (t) => {
    const c = await connect(wsUrl('w3'), auth);
    const big = Array.from({ length: 100 }, (_, i) => ({ i, pad: 'x'.repeat(1000) }));
    c.ws.send(JSON.stringify({ id: 'big', events: big }));
    t.match((await c.next(1))[0], { type: 'ack', id: 'big' });
    t.equal((await entries('w3')).length, 100);
    c.ws.send(JSON.stringify({ id: 'huge', events: [{ pad: 'x'.repeat(300 * 1024) }] }));
    t.equal(await c.closed, 1009);
    t.equal((await entries('w3')).length, 100, 'nothing of it written');
  });

  t.test('back-pressure: 10,000 messages sent without waiting all get their ack, with the server reading at most a bounded amount', async (t) => {
    wsIngestStats.maxInflight = 0;
    wsIngestStats.maxQueuedBytes = 0;
    wsIngestStats.pauses = 0;
    const c = await connect(wsUrl('w4'), auth);
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      c.ws.send(JSON.stringify({ id: `bp-${i}`, events: [{ i, pad: 'p'.repeat(100) }] }));
    }
    const answers = await c.next(n);
    t.ok(answers.every((a, i) => a.type === 'ack' && a.id === `bp-${i}`), 'every message acked, in order');
    t.equal((await entries('w4')).length, n);
    t.ok(wsIngestStats.pauses > 0, `the server paused the socket (${wsIngestStats.pauses} times)`);
    // The rest waited in TCP buffers and the producer's. Paused, ws still hands over what one socket
    // read (64 KiB) already holds: the bound is the limit plus that, not n.
    t.ok(wsIngestStats.maxQueuedBytes < 256 * 1024, `at most ${wsIngestStats.maxQueuedBytes} bytes of messages waited in the gateway (the client sent ${n * 140}+)`);
    t.ok(wsIngestStats.maxInflight < n / 4, `at most ${wsIngestStats.maxInflight} messages in flight (limit ${WS_INGEST_MAX_INFLIGHT} plus one socket read)`);
    c.ws.close();
  });

  t.test('a retry with the same message id after a reconnect does not duplicate', async (t) => {
    const first = await connect(wsUrl('w5'), auth);
    first.ws.send(JSON.stringify({ id: 'r-1', events: [{ n: 1 }, { n: 2 }] }));
    first.ws.send(JSON.stringify({ id: 'r-2', events: [{ n: 3 }] }));
    const acked = await first.next(2);
    // Say the connection dropped before the acks arrived: the client resends every message.
    first.ws.terminate();
    const second = await connect(wsUrl('w5'), auth);
    second.ws.send(JSON.stringify({ id: 'r-1', events: [{ n: 1 }, { n: 2 }] }));
    second.ws.send(JSON.stringify({ id: 'r-2', events: [{ n: 3 }] }));
    second.ws.send(JSON.stringify({ id: 'r-3', events: [{ n: 4 }] }));
    second.ws.send(JSON.stringify({ id: 'r-1', events: [{ n: 99 }] }));
    const again = await second.next(4);
    t.match(again[0], { type: 'ack', id: 'r-1', ids: acked[0]!.ids, replayed: true });
    t.match(again[1], { type: 'ack', id: 'r-2', ids: acked[1]!.ids, replayed: true });
    t.match(again[2], { type: 'ack', id: 'r-3' });
    t.notOk(again[2]!.replayed);
    t.match(again[3], { type: 'error', id: 'r-1', code: 'SG_ERR_IDEMPOTENCY_MISMATCH' });
    t.same((await entries('w5')).map((e) => (JSON.parse(e.message.e!) as { n: number }).n), [1, 2, 3, 4], 'each event once');
    // HTTP's Idempotency-Key space is apart: the same key there is a request of its own.
    const http = await app.inject({ method: 'POST', url: '/v1/streams/w5/events', headers: { ...auth.headers, 'idempotency-key': 'r-1' }, payload: [{ n: 5 }] });
    t.equal(http.statusCode, 201);
    second.ws.close();
  });
});

t.test('a producer that stops answering pings is cut after WS_PING_TIMEOUT, freeing its slot', async (t) => {
  const r = await startRedis(t);
  const { url } = await listening(t, r.url, { ...ENV, WS_HEARTBEAT: '100ms', WS_PING_TIMEOUT: '600ms', QUOTA_CONNECTIONS_PER_KEY: '1' });
  const wsUrl = `${url.replace('http', 'ws')}/v1/streams/alive/ingest`;
  const auth = { headers: { authorization: `Bearer ${INGEST}` } };
  const attempt = () => connect(wsUrl, auth).then((c) => c, () => undefined);
  const dead = await connect(wsUrl, auth);
  t.teardown(() => dead.ws.terminate());
  // Like a dropped network: the socket stays open but nothing it receives is read, so no pong.
  (dead.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const started = Date.now();
  t.equal(await attempt(), undefined, 'while it holds the only connection slot, another producer is refused');
  let next: Awaited<ReturnType<typeof connect>> | undefined;
  while (!next && Date.now() - started < 10_000) {
    await new Promise((ok) => setTimeout(ok, 200));
    next = await attempt();
  }
  t.ok(next, `the silent producer was cut and its slot freed after about ${Date.now() - started} ms`);
  next?.ws.send(JSON.stringify({ id: 'after', events: [{ a: 1 }] }));
  if (next) t.equal((await next.next(1))[0]!.type, 'ack', 'the next producer writes');
  next?.ws.close();
});

t.test('large messages sent without waiting are held to a byte budget, not sixteen bodies', async (t) => {
  const r = await startRedis(t);
  const { url } = await listening(t, r.url, { ...ENV, BODY_LIMIT_BYTES: String(4 << 20) });
  const c = await connect(`${url.replace('http', 'ws')}/v1/streams/big/ingest`, { headers: { authorization: `Bearer ${INGEST}` } });
  wsIngestStats.maxQueuedBytes = 0;
  const pad = 'x'.repeat(3 << 20);
  const n = 10;
  for (let i = 0; i < n; i++) c.ws.send(JSON.stringify({ id: `big-${i}`, events: [{ i, pad }] }));
  const answers = await c.next(n);
  t.ok(answers.every((a) => a.type === 'ack'), `all ${n} messages of 3 MB acknowledged`);
  t.ok(wsIngestStats.maxQueuedBytes <= WS_INGEST_MAX_QUEUED_BYTES + (4 << 20), `waiting messages peaked at ${(wsIngestStats.maxQueuedBytes / 2 ** 20).toFixed(1)} MB (budget ${WS_INGEST_MAX_QUEUED_BYTES / 2 ** 20} MB plus what one socket read holds), not ${n * 3} MB`);
  c.ws.close();
});
