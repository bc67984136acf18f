// A small typed live-results client (Node, over `ws`): keeps the rows by key, reconnects and resumes.
import WebSocket from 'ws';
import type { Row } from '../engine/index.js';
import type { ChangeMessage, ErrorMessage, ServerMessage, SnapshotMessage } from './messages.js';
import { CLOSE } from './messages.js';

export interface LiveClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`; a function is asked again on every reconnect. */
  url: string | (() => string);
  query: string;
  apiKey?: string;
  filter?: string;
  /** Start after this offset instead of with a snapshot. */
  from?: string;
  /** Several messages per frame (default true: far less CPU on both sides). */
  batch?: boolean;
  /** Reconnect delays: doubling from min to max (ms). Defaults 100 and 5,000. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Once per snapshot, when its last page has arrived (the rows are all in `rows` then). */
  onSnapshot?: (m: SnapshotMessage & { offset: string }) => void;
  onChange?: (m: ChangeMessage) => void;
  onError?: (m: ErrorMessage) => void;
  /** Every close, with its code; the client reconnects afterwards unless `close()` was called. */
  onClose?: (code: number, reason: string) => void;
  /** Each (re)connection once open. */
  onOpen?: () => void;
}

export class LiveClient {
  /** The current rows by row key: the snapshot with every change applied. */
  readonly rows = new Map<string, Row>();
  /** The offset of the last snapshot or change applied: where a reconnect resumes. */
  offset: string | undefined;
  /** Connections opened so far (1 + reconnects). */
  connections = 0;
  private ws: WebSocket | undefined;
  private stopped = false;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  /** A paged snapshot is arriving: its first page replaced the rows, the others add to them. */
  private inSnapshot = false;

  constructor(private readonly opts: LiveClientOptions) {
    this.offset = opts.from;
    this.delay = opts.reconnectMinMs ?? 100;
  }

  /** Opens the connection (and keeps it open until `close()`). */
  start(): this {
    this.connect();
    return this;
  }

  /** The socket, for tests that need to misbehave (pause reading, drop the connection). */
  get socket(): WebSocket | undefined {
    return this.ws;
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
  }

  private url(): string {
    const base = typeof this.opts.url === 'function' ? this.opts.url() : this.opts.url;
    const u = new URL(`/v1/queries/${this.opts.query}/subscribe`, base.replace(/^http/, 'ws'));
    if (this.offset !== undefined) u.searchParams.set('from', this.offset);
    if (this.opts.filter) u.searchParams.set('filter', this.opts.filter);
    if (this.opts.batch ?? true) u.searchParams.set('batch', 'true');
    return u.toString();
  }

  private connect(): void {
    // Cut off mid-snapshot: the rows are partial, so only a fresh snapshot can restore them.
    if (this.inSnapshot) {
      this.offset = undefined;
      this.inSnapshot = false;
    }
    const ws = new WebSocket(this.url(), { headers: this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {} });
    this.ws = ws;
    ws.on('open', () => {
      this.connections++;
      this.delay = this.opts.reconnectMinMs ?? 100;
      this.opts.onOpen?.();
    });
    ws.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString('utf8')) as ServerMessage | ServerMessage[];
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.apply(m);
    });
    // 'error' always precedes 'close', which does the reconnecting.
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      this.opts.onClose?.(res.statusCode ?? 0, `HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.opts.onClose?.(code, reason.toString());
      if (this.stopped || code === CLOSE.QUERY_GONE) return;
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, this.opts.reconnectMaxMs ?? 5_000);
    });
  }

  private apply(m: ServerMessage): void {
    switch (m.type) {
      case 'snapshot':
        if (!this.inSnapshot) this.rows.clear();
        m.rows.forEach((row, i) => this.rows.set(m.keys[i]!, row));
        // Servers before paged snapshots sent one message without `last`.
        this.inSnapshot = m.last === false;
        if (!this.inSnapshot && m.offset !== undefined) {
          this.offset = m.offset;
          this.opts.onSnapshot?.({ ...m, offset: m.offset });
        }
        break;
      case 'change':
        if (m.op === 'delete') this.rows.delete(m.key);
        else this.rows.set(m.key, m.row);
        this.offset = m.offset;
        this.opts.onChange?.(m);
        break;
      case 'error':
        this.opts.onError?.(m);
        break;
      default:
        break; // heartbeats and acknowledgements carry nothing to apply
    }
  }
}
