// One row filter, one name: `where` takes the same conditions on pull results, on a WebSocket
// subscription and in a /v1/ws subscribe message, and the rows it keeps agree across the three.
import t from 'tap';
import WebSocket from 'ws';
import { startRedis } from '../helpers/redis.js';
import { waitUntil } from '../helpers/wait.js';
import { listening, post, createQuery, caughtUp } from '../helpers/push.js';
import { assertProblem } from '../helpers/http.js';

type Msg = { type: string; rows?: { k: string; n: number }[]; last?: boolean; code?: string };

async function snapshotRows(url: string, send?: object): Promise<{ k: string; n: number }[]> {
  const ws = new WebSocket(url);
  const rows: { k: string; n: number }[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => { if (send) ws.send(JSON.stringify(send)); });
      ws.on('message', (data: Buffer) => {
        const msgs = ([] as Msg[]).concat(JSON.parse(data.toString()) as Msg | Msg[]);
        for (const m of msgs) {
          if (m.type === 'error') reject(new Error(m.code));
          if (m.type === 'snapshot') {
            rows.push(...(m.rows ?? []));
            if (m.last) resolve();
          }
        }
      });
      ws.on('error', reject);
    });
  } finally {
    ws.terminate();
  }
  return rows.sort((a, b) => a.k.localeCompare(b.k));
}

t.test('where filters pull and push alike, comparisons included; filter is still read', async (t) => {
  const r = await startRedis(t);
  const { app, url } = await listening(t, r.url);
  const ws = url.replace(/^http/, 'ws');
  const id = await createQuery(app, 'SELECT k, COUNT(*) AS n FROM s GROUP BY k');
  await post(app, 's', ['a', 'b', 'b', 'c', 'c', 'c', 'd', 'd', 'd', 'd'].map((k) => ({ k })));
  await caughtUp(app, id);
  await waitUntil('rows', async () => (await app.inject(`/v1/queries/${id}/results`)).json<{ rows: unknown[] }>().rows.length === 4);

  const cases: [string, string[]][] = [['n>=3', ['c', 'd']], ['n>1,k!=d', ['b', 'c']], ['k:b', ['b']], ['n<2', ['a']], ['k:zz', []]];
  for (const [where, expected] of cases) {
    const pulled = (await app.inject(`/v1/queries/${id}/results?where=${encodeURIComponent(where)}`)).json<{ rows: { k: string }[] }>().rows.map((x) => x.k).sort();
    t.same(pulled, expected, `pull where=${where}`);
    const pushed = (await snapshotRows(`${ws}/v1/queries/${id}/subscribe?where=${encodeURIComponent(where)}`)).map((x) => x.k);
    t.same(pushed, expected, `push where=${where}`);
    const muxed = (await snapshotRows(`${ws}/v1/ws`, { type: 'subscribe', query: id, where })).map((x) => x.k);
    t.same(muxed, expected, `/v1/ws where=${where}`);
  }
  const old = (await snapshotRows(`${ws}/v1/queries/${id}/subscribe?filter=${encodeURIComponent('n>=3')}`)).map((x) => x.k);
  t.same(old, ['c', 'd'], 'the older name filter= still works');

  assertProblem(t, await app.inject(`/v1/queries/${id}/results?where=nonsense`), 400, 'SG_ERR_VALIDATION');
  const refused = await new Promise<{ status: number | undefined; body: string }>((ok) => {
    const sock = new WebSocket(`${ws}/v1/queries/${id}/subscribe?where=nonsense`);
    sock.on('error', () => undefined);
    sock.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        req.destroy();
        ok({ status: res.statusCode, body });
      });
    });
  });
  t.equal(refused.status, 400, 'a malformed where is refused before the upgrade');
  t.equal((JSON.parse(refused.body) as { errors: { field: string }[] }).errors[0]!.field, 'querystring.where', 'the 400 names the parameter');
});
