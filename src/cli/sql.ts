// `streamgate sql`: a REPL. Each statement (ending with `;`) is validated, registered and tailed
// as a live table until Ctrl-C brings the prompt back.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { listQueries, request, StreamgateError, type QueryInfo } from '@streamgate/client';
import { COMMON_HELP, COMMON_OPTIONS, connection } from './config.js';
import { describeProblem } from './errors.js';
import { describeSqlError } from './sql-error.js';
import { renderTable } from './table.js';
import { follow } from './tail.js';

export const SQL_HELP = `Usage: streamgate sql [options]

An interactive SQL prompt. Type a statement ending with ; to check it (errors show line:column
with a caret), register it as a continuous query and follow its results live; Ctrl-C returns to
the prompt (the query keeps running: streamgate queries rm <id> deletes it).

  \\queries        list the queries
  \\start <s>      where new queries start: earliest (default), latest, or an entry id
  \\q, Ctrl-D      quit

Options:
  --start <s>      as \\start
${COMMON_HELP}`;

const PROMPT = 'streamgate> ';
const MORE = '        ... ';

export async function sql(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, start: { type: 'string' } } });
  if (values.help) {
    process.stdout.write(`${SQL_HELP}\n`);
    return 0;
  }
  const conn = connection(values);
  let start = values.start ?? 'earliest';
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: PROMPT, terminal: process.stdin.isTTY && process.stdout.isTTY });
  const say = (text: string) => process.stdout.write(`${text}\n`);
  let buffer: string[] = [];
  // While a statement runs, lines typed are dropped and Ctrl-C ends the statement, not the prompt.
  let running: AbortController | undefined;
  let busy = false;

  const prompt = () => {
    rl.setPrompt(buffer.length ? MORE : PROMPT);
    rl.prompt();
  };

  const command = async (line: string): Promise<boolean> => {
    const [cmd, arg] = line.split(/\s+/);
    switch (cmd) {
      case '\\q':
      case '\\quit':
        return false;
      case '\\queries': {
        const list = await listQueries(conn);
        const rows = list.map((q) => ({ id: q.id, name: q.name, status: q.status, lag: q.lag ?? null, throughput: q.throughput ?? null }));
        say(renderTable(['id', 'name', 'status', 'lag', 'throughput'], rows, process.stdout.columns ?? Infinity).join('\n'));
        return true;
      }
      case '\\start':
        if (arg) start = arg;
        say(`new queries start at ${start}`);
        return true;
      default:
        say(`unknown command ${cmd} (\\queries, \\start, \\q)`);
        return true;
    }
  };

  const statement = async (text: string): Promise<void> => {
    const body = text.trim().replace(/;\s*$/, '');
    if (!body) return;
    try {
      await request(conn, 'POST', '/v1/queries/validate', { sql: body });
    } catch (err) {
      if (!(err instanceof StreamgateError)) throw err;
      say(err.problem.code === 'SG_ERR_SQL' || err.problem.errors?.some((e) => e.line !== undefined) ? describeSqlError(body, err.problem) : `error: ${describeProblem(err.problem)}`);
      return;
    }
    let q: QueryInfo;
    try {
      q = await request<QueryInfo>(conn, 'POST', '/v1/queries', { sql: body, start });
    } catch (err) {
      if (!(err instanceof StreamgateError)) throw err;
      say(`error: ${describeProblem(err.problem)}`);
      return;
    }
    running = new AbortController();
    await follow(conn, q, { json: !process.stdout.isTTY, signal: running.signal });
    running = undefined;
    say(`query ${q.id} keeps running (streamgate queries rm ${q.id} deletes it)`);
  };

  return new Promise<number>((done) => {
    rl.on('SIGINT', () => {
      if (running) return running.abort();
      if (buffer.length) {
        buffer = [];
        process.stdout.write('\n');
      } else process.stdout.write('\n(\\q or Ctrl-D to quit)\n');
      prompt();
    });
    rl.on('line', (line) => {
      if (busy) return;
      const trimmed = line.trim();
      if (buffer.length === 0 && trimmed.startsWith('\\')) {
        busy = true;
        command(trimmed).then(
          (more) => {
            busy = false;
            if (more) prompt();
            else rl.close();
          },
          (err: unknown) => {
            busy = false;
            say(`error: ${err instanceof StreamgateError ? describeProblem(err.problem) : (err as Error).message}`);
            prompt();
          },
        );
        return;
      }
      buffer.push(line);
      if (!trimmed.endsWith(';')) return prompt();
      const text = buffer.join('\n');
      buffer = [];
      busy = true;
      statement(text).then(
        () => {
          busy = false;
          prompt();
        },
        (err: unknown) => {
          busy = false;
          running = undefined;
          say(`error: ${(err as Error).message}`);
          prompt();
        },
      );
    });
    rl.on('close', () => {
      running?.abort();
      done(0);
    });
    prompt();
  });
}
