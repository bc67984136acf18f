// `streamgate post <stream> [file]`: JSON or NDJSON events from a file or stdin, in batches.
import { parseArgs } from 'node:util';
import { COMMON_HELP, COMMON_OPTIONS, connection } from './config.js';
import { UsageError } from './errors.js';
import { readEvents } from './input.js';
import { Poster } from './poster.js';

export const POST_HELP = `Usage: streamgate post <stream> [file] [options]

Sends events to a stream: one JSON object, a JSON array, or NDJSON (one event per line), from
the file or, without one (or with -), from stdin. Batches of --batch events per request; a
refused batch stops the run with the gateway's reasons (event index and field) and exit code 1.

Options:
  --batch <n>      events per request (default 500)
  --json           print the summary as JSON on stdout
${COMMON_HELP}

Examples:
  streamgate post orders orders.ndjson
  echo '{"region":"eu","amount":12.5}' | streamgate post orders`;

export async function post(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON_OPTIONS, batch: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(`${POST_HELP}\n`);
    return 0;
  }
  const [stream, file, ...extra] = positionals;
  if (!stream || extra.length) throw new UsageError('post needs a stream and at most one file');
  const batchSize = values.batch === undefined ? 500 : Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError('--batch must be a positive whole number');
  const poster = new Poster(connection(values), { stream, batchSize, progress: process.stderr });
  if ((file === undefined || file === '-') && process.stdin.isTTY) process.stderr.write('reading events from stdin (Ctrl-D to end)\n');
  try {
    for await (const { event, line } of readEvents(file)) await poster.add(event, line);
    await poster.flush();
  } finally {
    poster.done();
  }
  const s = poster.summary();
  if (values.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  else process.stderr.write(`${s.events} event(s) posted to ${s.stream} in ${s.batches} batch(es), ${s.seconds} s (${s.rate} ev/s)\n`);
  return 0;
}
