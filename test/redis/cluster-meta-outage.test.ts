// An outage of the primary serving {meta} (stream and query registries, members): ingest into
// streams the process already knows goes on, on the primaries that serve them; what needs the
// registry answers 503 with Retry-After, never 500; when the node is back, everything works again.
import t from 'tap';
import { startCluster } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { keys } from '../../src/redis/keys.js';
import { part } from '../helpers/partitions.js';

t.setTimeout(120_000);

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

t.test('ingest into a known stream continues while the {meta} primary is down', async (t) => {
  const r = await startCluster(t);
  const api = await startApp(t, r.url, { STREAM_CONFIG_CACHE: '200ms', REGISTRY_POLL: '100ms' });
  const meta = await r.cluster.primaryOf(await r.cluster.slotOf(keys.streamRegistry()));
  // A stream whose one partition lives on another primary than {meta}.
  let stream = '';
  for (let i = 0; !stream; i++) {
    if ((await r.cluster.primaryOf(await r.cluster.slotOf(keys.events(part(`orders${i}`, 0))))) !== meta) stream = `orders${i}`;
  }
  const post = (name: string, n: number) => api.inject({ method: 'POST', url: `/v1/streams/${name}/events`, payload: Array.from({ length: n }, (_, i) => ({ n: i })) });
  t.equal((await post(stream, 3)).statusCode, 201, 'before: written');

  await r.cluster.kill(meta);
  await sleep(500); // past STREAM_CONFIG_CACHE: the registry would be read again
  let written = 0;
  for (let i = 0; i < 10; i++) {
    const res = await post(stream, 2);
    t.equal(res.statusCode, 201, `during the outage, POST ${i + 1}: ${res.body.slice(0, 120)}`);
    if (res.statusCode === 201) written += 2;
    await sleep(100);
  }
  t.equal(await r.client.xLen(keys.events(part(stream, 0))), 3 + written, `the ${written} events written during the outage are in the stream`);
  const unknown = await post('never-seen', 1);
  t.equal(unknown.statusCode, 503, 'a stream this process does not know needs the registry: 503');
  t.ok(unknown.headers['retry-after'], 'with Retry-After');
  const list = await api.inject({ method: 'GET', url: '/v1/streams' });
  t.equal(list.statusCode, 503, `listing streams needs the registry: 503 (${list.body.slice(0, 120)})`);

  await r.cluster.restart(meta);
  await r.cluster.waitHealthy();
  const after = await (async () => {
    for (let i = 0; i < 100; i++) {
      const res = await post('never-seen', 1);
      if (res.statusCode === 201) return res;
      await sleep(100);
    }
    return post('never-seen', 1);
  })();
  t.equal(after.statusCode, 201, 'the {meta} node is back (without persistence: empty): new streams are created again');
});
