// commit_batch through its encoder and decoder against a real Redis: the fencing check comes before
// any write; state, index, offset, XACK, changes, closed rows with their retention, late, dead and
// sealed entries all move in one step.
import t from 'tap';
import type { Test } from 'tap';
import { pino } from 'pino';
import { startRedis } from '../helpers/redis.js';
import { connectRedis } from '../../src/redis/client.js';
import { keys } from '../../src/redis/keys.js';
import { commitBatch, decodeCommitReply, encodeCommit, FencedError, type CommitInput } from '../../src/redis/functions/commit-batch.js';
import { part } from '../helpers/partitions.js';

const log = pino({ level: 'silent' });
const k = keys.task(part('s', 0), 'q1');
const source = keys.events(part('s', 0));

const input = (over: Partial<CommitInput> = {}): CommitInput => ({
  owner: 'me', epoch: 1, group: 'q1', offset: undefined, processed: 0,
  delta: { set: {}, del: [], meta: '{"v":1}', added: [] },
  ack: [], result: { changes: [], late: [], closed: [] }, dead: [],
  nowMs: 1_000_000, resultRetentionMs: 60_000, changesMaxLength: 1000, watermark: 5,
  ...over,
});

async function setup(t: Test) {
  const r = await startRedis(t);
  const redis = await connectRedis({ url: r.url, log });
  t.teardown(() => redis.close());
  await r.client.xGroupCreate(source, 'q1', '0', { MKSTREAM: true });
  const ids = [await r.client.xAdd(source, '*', { e: '{"a":1}', t: '1' }), await r.client.xAdd(source, '*', { e: '{"a":2}', t: '2' })];
  await r.client.xReadGroup('q1', 'me', { key: source, id: '>' });
  await r.client.set(k.lease, 'me 1');
  return { r, redis, ids };
}

t.test('encodeCommit lays the arguments out as the script header says', (t) => {
  const delta = { set: { a: 'A' }, del: ['b'], meta: 'M', added: ['a'], dropValues: ['b'], values: [['a', [['0:1', ''], ['0:2', '']]]] as [string, [string, string][]][] };
  const { keys: fnKeys, args } = encodeCommit(k, source, input({ offset: '9-0', processed: 2, delta, ack: ['1-0'], sealed: { s: 'S' } }));
  t.same(fnKeys, [k.lease, k.checkpoint, k.state, source, k.changes, k.results, k.resultsExpiry, k.late, k.deadLetter, k.sealed, k.index, k.valuesPrefix]);
  t.same(args.slice(0, 11), ['me', '1', 'q1', '9-0', 'M', '2', '1000000', '60000', '1000', '', '']);
  t.same(args.slice(11, 22), ['1', '1', '1', '0', '0', '0', '0', '1', '1', '1', '1'], 'counts: set, del, ack, changes, closed, late, dead, sealed, added, drop, values');
  t.same(args.slice(22), ['a', 'A', 'b', '1-0', 's', 'S', 'a', 'b', 'a', '2', '0:1', '', '0:2', '']);
  t.same(decodeCommitReply(['5-0', 3]), { lastChangeId: '5-0', changes: 3 });
  t.throws(() => decodeCommitReply('OK'));
  t.end();
});

t.test('a fenced commit writes nothing', async (t) => {
  const { r, redis, ids } = await setup(t);
  await r.client.set(k.lease, 'other 2');
  const change = { op: 'upsert' as const, key: 'a', row: { n: 1 }, final: false };
  await t.rejects(commitBatch(redis, k, source, input({ offset: ids[1], processed: 2, ack: ids, delta: { set: { a: 'A' }, del: [], meta: 'M', added: ['a'] }, result: { changes: [change], late: [], closed: [{ key: 'c', row: { n: 2 } }] } })), FencedError);
  t.same(await r.client.hGetAll(k.state), {}, 'no state');
  t.same(await r.client.hGetAll(k.checkpoint), {}, 'no checkpoint');
  t.equal(await r.client.exists([k.changes, k.results, k.index]), 0, 'no changes, results or index');
  t.equal(Number((await r.client.xPending(source, 'q1')).pending), 2, 'nothing acknowledged');
});

t.test('a commit moves state, index, offset, acks, changes, closed rows, late, dead and sealed entries together', async (t) => {
  const { r, redis, ids } = await setup(t);
  await r.client.hSet(k.state, 'gone', 'X');
  await r.client.zAdd(k.index, { score: 0, value: 'gone' });
  const change = { op: 'upsert' as const, key: 'a', row: { n: 1 }, final: false };
  const last = await commitBatch(redis, k, source, input({
    offset: ids[0], processed: 1, ack: [ids[0]!],
    delta: { set: { a: 'A' }, del: ['gone'], meta: 'M1', added: ['a'] },
    result: { changes: [change], late: [{ id: '0-1', ts: 1, data: { late: true } }], closed: [{ key: 'c', row: { n: 2 } }] },
    dead: [{ id: ids[1]!, entry: '{}', error: 'bad' }],
    sealed: { s: 'S' },
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    arrivalMs: 123,
  }));
  t.same(await r.client.hGetAll(k.state), { a: 'A' }, 'set and del applied');
  const ckpt = await r.client.hGetAll(k.checkpoint);
  t.match(ckpt, { offset: ids[0], meta: 'M1', epoch: '1', processed: '1', late: '1', dead: '1', updatedAt: '1000000' });
  t.equal(Number((await r.client.xPending(source, 'q1')).pending), 0, 'the batch and the dead entry are acknowledged');
  const changes = (await r.client.xRange(k.changes, '-', '+'))!;
  t.equal(changes.length, 1);
  t.equal(changes[0]!.id, last, 'returns the last change id');
  t.same(JSON.parse(changes[0]!.message.c!), change);
  t.equal(changes[0]!.message.tp, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  t.equal(changes[0]!.message.a, '123');
  t.same(await r.client.hGetAll(k.results), { c: '{"n":2}' }, 'closed rows stored');
  t.equal(await r.client.zScore(k.resultsExpiry, 'c'), 1_060_000, 'with their expiry');
  t.same((await r.client.xRange(k.late, '-', '+'))!.map((e) => e.message), [{ id: '0-1', e: '{"late":true}', watermark: '5' }]);
  t.same((await r.client.xRange(k.deadLetter, '-', '+'))!.map((e) => e.message), [{ id: ids[1], entry: '{}', error: 'bad' }]);
  t.same(await r.client.hGetAll(k.sealed), { s: 'S' });
  t.same((await r.client.zRange(k.index, 0, -1)).sort(), ['a', 'c', 's'], 'the index follows state, results and sealed');
  // A later commit past the retention removes the closed row and its index entry.
  await commitBatch(redis, k, source, input({ nowMs: 1_060_001, delta: { set: {}, del: [], meta: 'M2', added: [] } }));
  t.same(await r.client.hGetAll(k.results), {}, 'expired rows removed');
  t.same((await r.client.zRange(k.index, 0, -1)).sort(), ['a', 's']);
  t.equal(await r.client.hGet(k.checkpoint, 'offset'), ids[0], 'an empty offset leaves it unchanged');
  t.equal(await r.client.hGet(k.checkpoint, 'meta'), 'M2');
});

t.test('values hashes: pairs are added to a group\'s hash, a drop removes the hash before new pairs land', async (t) => {
  const { r, redis } = await setup(t);
  const run = (values: [string, [string, string][]][], dropValues: string[] = []) => commitBatch(redis, k, source, input({ delta: { set: {}, del: [], meta: 'M', added: [], values, dropValues } }));
  await run([['a', [['0:1', ''], ['0:2', '']]], ['b', [['0:"x"', '[5,"1-0"]']]]]);
  t.same(await r.client.hGetAll(`${k.valuesPrefix}a`), { '0:1': '', '0:2': '' });
  t.same(await r.client.hGetAll(`${k.valuesPrefix}b`), { '0:"x"': '[5,"1-0"]' });
  await run([['a', [['0:3', '']]]]);
  t.same(Object.keys(await r.client.hGetAll(`${k.valuesPrefix}a`)).sort(), ['0:1', '0:2', '0:3'], 'a later commit adds only its pairs');
  await run([['a', [['0:9', '']]]], ['a', 'b']);
  t.same(await r.client.hGetAll(`${k.valuesPrefix}a`), { '0:9': '' }, 'dropped, then started over');
  t.equal(await r.client.exists(`${k.valuesPrefix}b`), 0, 'dropped');
  // Over the script's HSET chunk: 1,200 pairs in one run.
  await run([['c', Array.from({ length: 1200 }, (_, i): [string, string] => [`0:${i}`, ''])]]);
  t.equal(await r.client.hLen(`${k.valuesPrefix}c`), 1200);
});
