// Live results of one query through @streamgate/client's LiveClient (snapshot pages, changes by
// row key, reconnect and resume from the last offset), reduced to what the query view shows.
import { LiveClient, type Row } from '@streamgate/client';
import { apiKey } from './key';

export type { Row };
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface LiveOptions {
  query: string;
  /** Called whenever the rows changed (never mid-snapshot). */
  onRows: (rows: ReadonlyMap<string, Row>) => void;
  onState?: (state: LiveState, detail?: string) => void;
}

/** Why a subscription ended for good, by close code (the client stops reconnecting on these). */
const FINAL: Record<number, string> = { 4404: 'the query was deleted', 401: 'the API key was refused', 403: 'the API key may not subscribe' };

export class LiveResults {
  private readonly client: LiveClient;

  constructor(private readonly opts: LiveOptions) {
    const key = apiKey();
    this.client = new LiveClient({
      url: location.origin,
      query: opts.query,
      ...(key ? { apiKey: key } : {}),
      onRows: opts.onRows,
      onOpen: () => opts.onState?.('live'),
      onError: (m) => opts.onState?.('live', `${m.code}: ${m.message}`),
      onClose: (code) => {
        if (this.client.closed) opts.onState?.('closed', FINAL[code]);
        else opts.onState?.('reconnecting', `connection closed (${code}); resuming from the last offset`);
      },
    });
  }

  /** Where a reconnect resumes. */
  get offset(): string | undefined {
    return this.client.offset;
  }

  start(): this {
    this.opts.onState?.('connecting');
    this.client.start();
    return this;
  }

  close(): void {
    this.client.close();
  }

  /** Cuts the socket as a network failure would (the console's Reconnect button). */
  drop(): void {
    this.client.drop();
  }
}
