// npm run bench:distinct — what a commit of a COUNT(DISTINCT) batch costs as the set grows. One group
// gains 1,000 new distinct values per batch; a batch is applied, its delta taken and committed to a
// real Redis (commit_batch). Measured with 1,000 and with 1,000,000 values already in the set: the
// two must stay within 2x (a commit writes what changed). The baseline beside it is the size of the
// whole set serialized, which every commit wrote before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type RedisClientType } from 'redis';
import { LocalRedis } from '../src/redis/local-server.js';
import { loadFunctions } from '../src/redis/functions.js';
import { keys } from '../src/redis/keys.js';
import { commitBatch, encodeCommit } from '../src/redis/functions/commit-batch.js';
import { compileQuery } from '../src/sql/compile.js';
import { createEngine } from '../src/engine/index.js';
import type { SourceEvent } from '../src/engine/index.js';
import { part } from '../test/helpers/partitions.js';

const BATCH = 1_000;
const ROUNDS = 15;
const plan = compileQuery('SELECT g, COUNT(DISTINCT u) AS du FROM s GROUP BY g').plan;

const dir = mkdtempSync(join(tmpdir(), 'sg-bench-distinct-'));
const redis = new LocalRedis({ dir, persistence: false });
await redis.start();
try {
  const client = createClient({ url: redis.url }) as RedisClientType;
  await client.connect();
  await loadFunctions(client);
  const k = keys.task(part('s', 0), 'q_bench');
  const source = keys.events(part('s', 0));
  await client.set(k.lease, 'me 1');
  const engine = createEngine(plan, { emit: 'changes', latenessMs: 0 });
  let next = 0;
  const batch = (n: number): SourceEvent[] => Array.from({ length: n }, () => ({ id: `1-${next}`, ts: 1000, data: { g: 'a', u: next++ } }));
  const input = (argsBytes: { n: number }) => {
    const delta = engine.takeDelta();
    const c = { owner: 'me', epoch: 1, group: 'q_bench', offset: undefined, processed: 0, delta, ack: [], result: { changes: [], late: [], closed: [] }, dead: [], nowMs: Date.now(), resultRetentionMs: 60_000, changesMaxLength: 1000, watermark: 0 };
    argsBytes.n = encodeCommit(k, source, c).args.reduce((s, a) => s + a.length, 0);
    return c;
  };
  // One measured commit: apply a batch of new values, take the delta, commit it.
  const commitOnce = async (): Promise<{ ms: number; bytes: number }> => {
    const t0 = performance.now();
    const result = engine.apply(batch(BATCH));
    const bytes = { n: 0 };
    const c = input(bytes);
    await commitBatch(client, k, source, { ...c, result });
    return { ms: performance.now() - t0, bytes: bytes.n };
  };
  const measure = async (label: string) => {
    const runs: { ms: number; bytes: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await commitOnce());
    const med = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(ROUNDS / 2)]!;
    const whole = (await client.hLen(`${k.valuesPrefix}["a"]`)) * 8;
    console.log(`${label.padEnd(34)} commit ${med.ms.toFixed(2).padStart(7)} ms, ${(med.bytes / 1024).toFixed(1).padStart(7)} KB of arguments (the whole set serialized: ~${(whole / 1024).toFixed(0)} KB)`);
    return med.ms;
  };
  console.log(`streamgate COUNT(DISTINCT) commit benchmark: batches of ${BATCH.toLocaleString('en')} new values, median of ${ROUNDS}\n`);
  // Grow to 1,000 values, then measure.
  engine.apply(batch(1_000));
  await commitBatch(client, k, source, input({ n: 0 }));
  const small = await measure('with ~1,000 values in the set');
  // Grow to 1,000,000 (committing as a runner would), then measure again.
  while (next < 1_000_000) {
    engine.apply(batch(10_000));
    await commitBatch(client, k, source, input({ n: 0 }));
  }
  const large = await measure('with ~1,000,000 values in the set');
  console.log(`\nratio 1M / 1k: ${(large / small).toFixed(2)} (must stay within 2)`);
  await client.close();
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
