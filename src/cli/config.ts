// Where the gateway is and which key to use: flags first, then the environment.
import type { PullOptions } from '@streamgate/client';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Options every command accepts (node:util parseArgs shape). */
export const COMMON_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface Connection extends PullOptions {
  url: string;
  apiKey?: string;
}

export function connection(values: { url?: string | undefined; key?: string | undefined }, env: NodeJS.ProcessEnv = process.env): Connection {
  const url = values.url ?? env.STREAMGATE_URL ?? DEFAULT_URL;
  const apiKey = values.key ?? env.STREAMGATE_API_KEY;
  return apiKey ? { url, apiKey } : { url };
}

export const COMMON_HELP = `Gateway:
  --url <url>      the gateway (env STREAMGATE_URL; default ${DEFAULT_URL})
  --key <key>      API key (env STREAMGATE_API_KEY)
  -h, --help       this help`;
