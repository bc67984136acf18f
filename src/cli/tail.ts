// `streamgate tail <query>`: the live table on a terminal, NDJSON otherwise (or with --json).
import { parseArgs } from 'node:util';
import { LiveClient, CLOSE, type QueryInfo, type Row } from '@streamgate/client';
import { COMMON_HELP, COMMON_OPTIONS, connection, type Connection } from './config.js';
import { UsageError } from './errors.js';
import { LiveTable } from './live-table.js';
import { resolveQuery } from './resolve.js';

export const TAIL_HELP = `Usage: streamgate tail <query id|name> [options]

Follows a query's results live. On a terminal: a table redrawn in place on every change
(Ctrl-C to stop). With --json, or when stdout is not a terminal: one JSON line per snapshot row
({"op":"snapshot","key","row","offset"}), then one per change ({"op":"upsert"|"delete","key",
"row","offset","final"}).

Options:
  --where <expr>   only rows where every condition holds, e.g. region:eu,revenue>=100
  --from <offset>  resume after this offset instead of starting with a snapshot
  --json           NDJSON even on a terminal
${COMMON_HELP}`;

export interface TailOptions {
  where?: string | undefined;
  from?: string | undefined;
  json: boolean;
  signal: AbortSignal;
  out?: NodeJS.WriteStream;
}

/** Follows the query until the signal aborts or the query is deleted; resolves then. */
export async function follow(conn: Connection, q: QueryInfo, opts: TailOptions): Promise<void> {
  const out = opts.out ?? process.stdout;
  const table = opts.json ? undefined : new LiveTable(out, `${q.name} (${q.id})`, q.columns?.map((c) => c.name));
  const line = (v: unknown) => out.write(`${JSON.stringify(v)}\n`);
  await new Promise<void>((done) => {
    const live = new LiveClient<Row>({
      url: conn.url,
      query: q.id,
      ...(conn.apiKey ? { apiKey: conn.apiKey } : {}),
      ...(opts.where ? { where: opts.where } : {}),
      ...(opts.from ? { from: opts.from } : {}),
      onSnapshot: (m) => {
        if (table) return;
        // Rows of every page, all in `live.rows` by now.
        for (const [key, row] of live.rows) line({ op: 'snapshot', key, row, offset: m.offset });
      },
      onChange: (m) => {
        if (!table) line({ op: m.op, key: m.key, row: m.row, offset: m.offset, final: m.final });
      },
      onRows: (rows) => table?.update(rows),
      onOpen: () => table?.setStatus('live'),
      onError: (m) => {
        if (table) table.setStatus(`${m.code}`);
        else process.stderr.write(`${m.code}: ${m.message}\n`);
      },
      onClose: (code, reason) => {
        const why = code === CLOSE.QUERY_GONE ? 'the query was deleted' : `disconnected (${code}${reason ? ` ${reason}` : ''}), reconnecting`;
        if (table) table.setStatus(why);
        else if (!opts.signal.aborted) process.stderr.write(`${why}\n`);
        if (live.closed) finish();
      },
    });
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      opts.signal.removeEventListener('abort', finish);
      live.close();
      table?.stop();
      done();
    };
    if (opts.signal.aborted) return finish();
    opts.signal.addEventListener('abort', finish);
    table?.start();
    live.start();
  });
}

export async function tail(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON_OPTIONS, where: { type: 'string' }, from: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(`${TAIL_HELP}\n`);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (!name || extra.length) throw new UsageError('tail needs one query id or name');
  const conn = connection(values);
  const q = await resolveQuery(conn, name);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await follow(conn, q, { where: values.where, from: values.from, json: values.json === true || !process.stdout.isTTY, signal: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
