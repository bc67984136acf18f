// `streamgate queries ls|create|rm|pause|resume`.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { listQueries, request, type QueryInfo } from '@streamgate/client';
import { COMMON_HELP, COMMON_OPTIONS, connection } from './config.js';
import { UsageError } from './errors.js';
import { resolveQuery } from './resolve.js';
import { renderTable } from './table.js';
import { readAll } from './stdin.js';

export const QUERIES_HELP = `Usage: streamgate queries <command> [options]

Commands:
  ls                          the queries: id, name, status, lag, throughput (--json: as JSON)
  create <file.sql|->         register the SQL in the file (- for stdin); prints the new id
      --name <n>              its name
      --start <s>             latest (default), earliest, or an entry id
      --emit <changes|final>  every change, or each window once when it closes
      --lateness <d>          allowed lateness, e.g. 5s
  rm <id|name>                delete a query
  pause <id|name>             stop processing (events keep accumulating)
  resume <id|name>            continue from the last checkpoint

Options:
  --json           JSON on stdout (the answer of the gateway)
${COMMON_HELP}

Examples:
  streamgate queries create revenue.sql --name revenue --start earliest
  streamgate queries ls
  streamgate queries pause revenue`;

export async function queries(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON_OPTIONS, json: { type: 'boolean' }, name: { type: 'string' }, start: { type: 'string' }, emit: { type: 'string' }, lateness: { type: 'string' } },
  });
  const [command, arg, ...extra] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${QUERIES_HELP}\n`);
    return values.help ? 0 : 2;
  }
  const conn = connection(values);
  const print = (q: QueryInfo, what: string) => process.stdout.write(values.json ? `${JSON.stringify(q)}\n` : `${what} ${q.id} (${q.name})\n`);
  if (extra.length) throw new UsageError(`queries ${command}: too many arguments`);
  switch (command) {
    case 'ls':
    case 'list': {
      const list = await listQueries(conn);
      if (values.json) {
        process.stdout.write(`${JSON.stringify(list)}\n`);
        return 0;
      }
      const rows = list.map((q) => ({ id: q.id, name: q.name, status: q.status, lag: q.lag ?? null, throughput: q.throughput === undefined ? null : Math.round(q.throughput * 10) / 10, stream: q.stream }));
      process.stdout.write(`${renderTable(['id', 'name', 'status', 'lag', 'throughput', 'stream'], rows, process.stdout.columns ?? Infinity).join('\n')}\n`);
      return 0;
    }
    case 'create': {
      if (!arg) throw new UsageError('queries create needs a .sql file (or - for stdin)');
      const sql = (arg === '-' ? await readAll(process.stdin) : await readFile(arg, 'utf8')).trim().replace(/;\s*$/, '');
      const body: Record<string, unknown> = { sql };
      for (const k of ['name', 'start', 'emit', 'lateness'] as const) if (values[k] !== undefined) body[k] = values[k];
      const q = await request<QueryInfo>(conn, 'POST', '/v1/queries', body);
      process.stdout.write(values.json ? `${JSON.stringify(q)}\n` : `${q.id}\n`);
      return 0;
    }
    case 'rm':
    case 'delete':
    case 'pause':
    case 'resume': {
      if (!arg) throw new UsageError(`queries ${command} needs a query id or name`);
      const q = await resolveQuery(conn, arg);
      if (command === 'pause' || command === 'resume') {
        print(await request<QueryInfo>(conn, 'POST', `/v1/queries/${q.id}/${command}`), command === 'pause' ? 'paused' : 'resumed');
      } else {
        await request(conn, 'DELETE', `/v1/queries/${q.id}`);
        print(q, 'deleted');
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown queries command: ${command}`);
  }
}
