// Live results of one query over the WebSocket protocol (README "Live results"): snapshot pages,
// then changes by row key, each with an offset; after a drop it reconnects and resumes from the
// last offset, so nothing is missed and nothing applied twice. Swappable for @streamgate/client.
import { apiKey } from './key';

export type Row = Record<string, unknown>;

type ServerMessage =
  | { type: 'snapshot'; rows: Row[]; keys: string[]; last: boolean; offset?: string }
  | { type: 'change'; op: 'upsert' | 'delete'; key: string; row: Row; offset: string; final: boolean }
  | { type: 'heartbeat' }
  | { type: 'error'; code: string; message: string };

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface LiveOptions {
  query: string;
  /** Called after every applied message with the rows by key. */
  onRows: (rows: ReadonlyMap<string, Row>) => void;
  onState?: (state: LiveState, detail?: string) => void;
}

const SUBPROTOCOL = 'streamgate.v1';
const BEARER_PREFIX = 'bearer.';
/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSE = new Set([4404]);

export class LiveResults {
  readonly rows = new Map<string, Row>();
  /** Where a reconnect resumes: the offset of the last applied change, or of the last snapshot. */
  offset: string | undefined;
  private ws: WebSocket | undefined;
  /** Between the first and the last page of a snapshot. */
  private inSnapshot = false;
  private delay = 100;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly opts: LiveOptions) {}

  start(): this {
    this.connect();
    return this;
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.opts.onState?.('closed');
  }

  /** Drops the socket as a network failure would (the console's "reconnect" button, and tests). */
  drop(): void {
    this.ws?.close(4000, 'dropped by the client');
  }

  private connect(): void {
    const url = new URL(`/v1/queries/${encodeURIComponent(this.opts.query)}/subscribe`, location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.offset) url.searchParams.set('from', this.offset);
    const key = apiKey();
    const ws = new WebSocket(url, key ? [SUBPROTOCOL, BEARER_PREFIX + key] : [SUBPROTOCOL]);
    this.ws = ws;
    this.inSnapshot = false;
    this.opts.onState?.(this.offset ? 'reconnecting' : 'connecting');
    ws.onopen = () => {
      this.delay = 100;
      this.opts.onState?.('live');
    };
    ws.onmessage = (ev: MessageEvent<string>) => {
      const parsed = JSON.parse(ev.data) as ServerMessage | ServerMessage[];
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.apply(m);
      this.opts.onRows(this.rows);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.stopped) return;
      // A connection cut mid-snapshot must start over without an offset.
      if (this.inSnapshot) this.offset = undefined;
      if (FINAL_CLOSE.has(ev.code)) {
        this.opts.onState?.('closed', ev.reason || `closed (${ev.code})`);
        return;
      }
      this.opts.onState?.('reconnecting', `connection closed (${ev.code}); retrying`);
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 5_000);
    };
  }

  private apply(m: ServerMessage): void {
    switch (m.type) {
      case 'snapshot':
        // The first page replaces the rows; later pages add to them.
        if (!this.inSnapshot) this.rows.clear();
        this.inSnapshot = !m.last;
        m.rows.forEach((row, i) => this.rows.set(m.keys[i]!, row));
        if (m.last) this.offset = m.offset;
        break;
      case 'change':
        if (m.op === 'delete') this.rows.delete(m.key);
        else this.rows.set(m.key, m.row);
        this.offset = m.offset;
        break;
      case 'error':
        // SG_ERR_OFFSET_EXPIRED / SG_ERR_BAD_OFFSET: a fresh snapshot follows on this socket.
        this.offset = undefined;
        this.opts.onState?.('live', `${m.code}: ${m.message}`);
        break;
      case 'heartbeat':
        break;
    }
  }
}
