// Partition placement: each partition's hash tag is chosen when the partition count is set so that
// the slots are evenly spaced, stored in the stream config, and shown as partition → slot → node.
import t from 'tap';
import { partitionRef, plainTag, spreadTags, tagSlot } from '../../src/redis/placement.js';
import { keys } from '../../src/redis/keys.js';
import { startCluster } from '../helpers/redis.js';
import { startApp } from '../helpers/app.js';
import { rng as seeded } from '../helpers/rng.js';

const SLOTS = 16384;

t.test('spread tags: on N equal primaries, P = N partitions use every primary, for any stream name', async (t) => {
  const rng = seeded(7);
  let plainBunched = 0;
  const names = Array.from({ length: 200 }, (_, i) => `s${i}_${Math.floor(rng() * 1e9).toString(36)}`);
  for (const n of [2, 3, 4, 8, 16]) {
    const owner = (slot: number) => Math.floor((slot * n) / SLOTS);
    let worst = n;
    for (const name of names) {
      const tags = spreadTags(name, n);
      tags.forEach((tag, p) => t.ok(tag === plainTag(name, p) || tag.startsWith(`{${name}#${p}~`), `partition ${p}'s tag names its stream and partition: ${tag}`));
      worst = Math.min(worst, new Set(tags.map((tag) => owner(tagSlot(tag)))).size);
      if (new Set(Array.from({ length: n }, (_, p) => owner(tagSlot(plainTag(name, p))))).size < n) plainBunched++;
    }
    // Each slot lies within an eighth of a slice of its slice's middle: n slices, n primaries.
    t.equal(worst, n, `${n} partitions over ${n} equal primaries: every name uses all ${n}`);
  }
  t.ok(plainBunched > 0, `plain {name#p} tags bunch: ${plainBunched} of ${names.length * 5} cases left a primary without a partition`);
  t.same(spreadTags('orders', 8), spreadTags('orders', 8), 'deterministic');
  t.same(partitionRef('orders', undefined, 3).tag, '{orders#3}', 'a config without tags (from before placement) keeps plain tags');
});

t.test('a 3-partition stream on a 3-primary cluster: one partition per primary, shown in GET /v1/streams/{stream}', async (t) => {
  const r = await startCluster(t);
  const app = await startApp(t, r.url);
  const put = await app.inject({ method: 'PUT', url: '/v1/streams/orders', payload: { partitions: 3, partitionKey: 'id' } });
  t.equal(put.statusCode, 200, put.body);
  const tags = put.json<{ tags: string[] }>().tags;
  t.same(tags, spreadTags('orders', 3), 'the tags are stored in the config');
  const events = Array.from({ length: 30 }, (_, i) => ({ id: `o${i}`, amount: i }));
  t.equal((await app.inject({ method: 'POST', url: '/v1/streams/orders/events', payload: events })).statusCode, 201);
  const info = (await app.inject({ method: 'GET', url: '/v1/streams/orders' })).json<{ tags: string[]; length: number; partitionInfo: { partition: number; tag: string; slot: number; node: string; length: number }[] }>();
  t.equal(info.length, 30);
  const nodes = new Set<string>();
  for (const p of info.partitionInfo) {
    t.equal(p.tag, tags[p.partition], `partition ${p.partition}: tag ${p.tag}`);
    t.equal(p.slot, await r.cluster.slotOf(p.tag), `partition ${p.partition}: slot ${p.slot}`);
    const primary = r.cluster.nodes[await r.cluster.primaryOf(p.slot)]!;
    t.equal(p.node, `127.0.0.1:${primary.port}`, `partition ${p.partition}: served by ${p.node}`);
    t.equal(await r.client.xLen(keys.events(partitionRef('orders', tags, p.partition))), p.length, `partition ${p.partition}: its events are under its tag`);
    nodes.add(p.node);
  }
  t.equal(nodes.size, 3, 'one partition per primary');
  const again = await app.inject({ method: 'PUT', url: '/v1/streams/orders', payload: { partitions: 3, partitionKey: 'id', retention: { maxLength: 100 } } });
  t.same(again.json<{ tags: string[] }>().tags, tags, 'changing other settings keeps the tags');
});
