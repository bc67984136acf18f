// `streamgate gen <orders|clicks|sensors>`: sample events at a steady rate, to the gateway or stdout.
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { COMMON_HELP, COMMON_OPTIONS, connection } from './config.js';
import { parseCount, parseDuration, parseFraction, parseRate } from './duration.js';
import { UsageError } from './errors.js';
import { Generator, KINDS, type Kind } from './generators.js';
import { Poster } from './poster.js';

export const GEN_HELP = `Usage: streamgate gen <orders|clicks|sensors> [options]

Generates sample events and posts them to the gateway (or prints NDJSON with --stdout).
Event times follow the clock; a fraction (--late) lies 1 to 60 s in the past, out of order.

  orders   {id, customer, region, amount, quantity, ts}
  clicks   {user, page, device, durationMs, ts}
  sensors  {sensor, site, temperature, humidity, ts}

Options:
  --stream <name>    target stream (default: the kind's name)
  --rate <n/s>       events per second (default 100)
  --duration <d>     how long, e.g. 10s, 2m (default 10s, or until --count)
  --count <n>        stop after n events
  --keys <n>         distinct customers / users / sensors (default 100)
  --late <f>         fraction of late, out-of-order events (default 0.05)
  --seed <n>         random seed: the same seed gives the same events (default: random)
  --stdout           print NDJSON instead of posting (as fast as it can unless --rate is given)
  --batch <n>        events per request at most (default 500)
${COMMON_HELP}

Examples:
  streamgate gen orders --rate 200 --duration 1m
  streamgate gen sensors --keys 10 --late 0.2 --count 1000 --seed 7 --stdout > sensors.ndjson`;

const TICK_MS = 100;

export async function gen(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      stream: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      count: { type: 'string' },
      keys: { type: 'string' },
      late: { type: 'string' },
      seed: { type: 'string' },
      stdout: { type: 'boolean' },
      batch: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${GEN_HELP}\n`);
    return 0;
  }
  const [kind, ...extra] = positionals;
  if (!kind || !(KINDS as readonly string[]).includes(kind) || extra.length) throw new UsageError(`gen needs one of ${KINDS.join(', ')}`);
  const paced = values.rate !== undefined || !values.stdout;
  const rate = values.rate === undefined ? 100 : parseRate(values.rate, '--rate');
  const count = values.count === undefined ? Infinity : parseCount(values.count, '--count', 1);
  const durationMs = values.duration !== undefined ? parseDuration(values.duration, '--duration') : count === Infinity ? 10_000 : Infinity;
  const total = Math.min(count, durationMs === Infinity ? Infinity : Math.ceil((durationMs / 1000) * rate));
  const generator = new Generator({
    kind: kind as Kind,
    keys: values.keys === undefined ? 100 : parseCount(values.keys, '--keys', 1),
    late: values.late === undefined ? 0.05 : parseFraction(values.late, '--late'),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : parseCount(values.seed, '--seed'),
  });
  const batchSize = values.batch === undefined ? 500 : parseCount(values.batch, '--batch', 1);

  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  const start = Date.now();
  // Event i is due at start + i / rate: its time is that instant (not when the loop got to it).
  const timeOf = (i: number) => start + Math.floor((i * 1000) / rate);
  try {
    if (values.stdout) {
      let i = 0;
      while (i < total && !stopped) {
        const due = paced ? Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate) + 1) : Math.min(total, i + 1000);
        let chunk = '';
        for (; i < due; i++) chunk += `${JSON.stringify(generator.next(timeOf(i)))}\n`;
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        if (paced && i < total) await sleep(TICK_MS);
      }
      return 0;
    }
    const poster = new Poster(connection(values), { stream: values.stream ?? kind, batchSize, progress: process.stderr });
    try {
      let i = 0;
      while (i < total && !stopped) {
        const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate) + 1);
        for (; i < due; i++) await poster.add(generator.next(timeOf(i)));
        await poster.flush();
        if (i < total) await sleep(Math.max(TICK_MS, timeOf(i) - Date.now()));
      }
    } finally {
      poster.done();
    }
    const s = poster.summary();
    if (values.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    else process.stderr.write(`${s.events} ${kind} event(s) posted to ${s.stream} in ${s.seconds} s (${s.rate} ev/s)\n`);
    return 0;
  } finally {
    process.off('SIGINT', stop);
  }
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
