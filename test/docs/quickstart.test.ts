// The README's Quickstart runs as written: every `bash` block of that section, top to bottom in one
// shell, from the project folder, against a started gateway (only its address differs).
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis } from '../helpers/redis.js';
import { listening } from '../helpers/push.js';

const ROOT = join(import.meta.dirname, '..', '..');

function quickstartBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Quickstart\n');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

t.test('the Quickstart section runs top to bottom against a gateway', async (t) => {
  const blocks = quickstartBlocks();
  t.ok(blocks.length >= 3, `${blocks.length} bash blocks`);
  const r = await startRedis(t);
  const { url } = await listening(t, r.url);
  const address = url.replace(/^http:\/\//, '');
  const script = ['set -euo pipefail', ...blocks].join('\n').replaceAll('localhost:8080', address);
  t.teardown(() => rmSync(join(ROOT, 'revenue.sql'), { force: true }));
  const child = spawn('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, STREAMGATE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)));
  t.equal(code, 0, `every block ran without error${code === 0 ? '' : `:\n${out}\n${err}`}`);
  const id = /registered (q_[0-9a-f]{16})/.exec(out)?.[1];
  t.ok(id, 'the query id was captured in a shell variable');
  t.match(out, /revenue\s+running/, 'queries ls lists it running');
  const results = out.split('\n').find((l) => l.startsWith('{"rows"'));
  const rows = (JSON.parse(results ?? '{"rows":[]}') as { rows: { region: string; orders: number }[] }).rows;
  t.ok(rows.length > 0 && rows.every((x) => x.region === 'eu'), `results filtered by where=region:eu (${rows.length} rows)`);
  t.match(out, /"partitions":\[\d,\d\]/, 'the partitioned stream says where each event went');
  t.notMatch(err, /409|SG_ERR/, 'no refusal on the way');
});
