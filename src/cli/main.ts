// The `streamgate` command: picks the subcommand, runs it, turns what it threw into a message and an exit code.
import { failure } from './errors.js';
import { gen } from './gen.js';
import { post } from './post.js';
import { queries } from './queries.js';
import { sql } from './sql.js';
import { tail } from './tail.js';
import { COMMON_HELP } from './config.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { post, gen, queries, tail, sql };

export const HELP = `Usage: streamgate <command> [options]

Commands:
  post <stream> [file]        send JSON or NDJSON events (from a file or stdin)
  gen <orders|clicks|sensors> generate sample events at a rate
  queries ls|create|rm|pause|resume
                              manage continuous queries
  tail <query>                follow a query's results live (a table, or NDJSON with --json)
  sql                         interactive SQL: validate, register and follow queries

streamgate <command> --help for a command's options.

${COMMON_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('streamgate 0.1.0\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`streamgate: unknown command ${name}\n\n${HELP}\n`);
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    const { message, code } = failure(err);
    process.stderr.write(`streamgate ${name}: ${message}\n`);
    return code;
  }
}

process.exitCode = await run(process.argv.slice(2));
