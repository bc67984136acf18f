// Live results of one query: keeps the rows by key, reconnects with backoff and resumes by offset.
import { CLOSE, BEARER_PROTOCOL_PREFIX, SUBPROTOCOL } from './messages.js';
import type { ChangeMessage, ErrorMessage, Row, ServerMessage, SnapshotMessage } from './messages.js';
import { openSocket, platformWebSocket, type LiveSocket, type Transport } from './socket.js';

export interface LiveClientOptions<R = Row> {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080` (ws: and wss: too); a function is asked again on every reconnect. */
  url: string | (() => string);
  /** Query id (`q_…`). */
  query: string;
  apiKey?: string;
  /** Only rows that match, e.g. `region:eu,n>=10`; a row that stops matching arrives as a delete. */
  where?: string;
  /** Start after this offset instead of with a snapshot. */
  from?: string;
  /** Several messages per frame (default true: far less CPU on both sides). */
  batch?: boolean;
  /** Reconnect delays: doubling from min to max (ms). Defaults 100 and 5,000. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** `platform` (globalThis.WebSocket) or `ws`; default: the platform's where there is one. */
  transport?: Transport;
  /**
   * How the API key travels: `subprotocol` (default; `bearer.<key>`, the only way a browser can) or
   * `header` (`Authorization: Bearer`, `ws` transport only).
   */
  auth?: 'subprotocol' | 'header';
  /** Once per snapshot, when its last page has arrived (the rows are all in `rows` then). */
  onSnapshot?: (m: SnapshotMessage<R> & { offset: string }) => void;
  onChange?: (m: ChangeMessage<R>) => void;
  /** After each frame that changed the rows (never mid-snapshot): the place to redraw. */
  onRows?: (rows: ReadonlyMap<string, R>) => void;
  onError?: (m: ErrorMessage) => void;
  /**
   * Every close, with its code (or the HTTP status of a refused upgrade on `ws`). The client
   * reconnects afterwards unless `close()` was called, the query was deleted (4404) or the key
   * was refused (401, 403); `closed` is already true then.
   */
  onClose?: (code: number, reason: string) => void;
  /** Each (re)connection once open. */
  onOpen?: () => void;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Closes after which reconnecting cannot help. */
const FINAL_CLOSES = new Set<number>([CLOSE.QUERY_GONE, 401, 403]);

export class LiveClient<R = Row> {
  /** The current rows by row key: the snapshot with every change applied. */
  readonly rows = new Map<string, R>();
  /** The offset of the last snapshot or change applied: where a reconnect resumes. */
  offset: string | undefined;
  /** Connections opened so far (1 + reconnects). */
  connections = 0;
  private ws: LiveSocket | undefined;
  private stopped = false;
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A paged snapshot is arriving: its first page replaced the rows, the others add to them. */
  private inSnapshot = false;

  constructor(private readonly opts: LiveClientOptions<R>) {
    this.offset = opts.from;
    this.delay = opts.reconnectMinMs ?? 100;
  }

  /** Opens the connection (and keeps it open until `close()`). */
  start(): this {
    this.connect();
    return this;
  }

  /** The current connection (undefined while it is being set up). */
  get socket(): LiveSocket | undefined {
    return this.ws;
  }

  /** True once `close()` was called or the gateway ended the subscription for good. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Cuts the current connection as a network loss would; the client reconnects and resumes from `offset`. */
  drop(): void {
    this.ws?.drop();
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
  }

  /** The subscribe URL for the next connection. */
  url(): string {
    const base = typeof this.opts.url === 'function' ? this.opts.url() : this.opts.url;
    const u = new URL(`v1/queries/${encodeURIComponent(this.opts.query)}/subscribe`, base.endsWith('/') ? base : `${base}/`);
    u.protocol = u.protocol.replace(/^http/, 'ws');
    if (this.offset !== undefined) u.searchParams.set('from', this.offset);
    if (this.opts.where) {
      u.searchParams.set('where', this.opts.where);
      // Gateways before the rename know the parameter only as `filter`; newer ones let `where` win.
      u.searchParams.set('filter', this.opts.where);
    }
    if (this.opts.batch ?? true) u.searchParams.set('batch', 'true');
    return u.toString();
  }

  private connect(): void {
    // Cut off mid-snapshot: the rows are partial, so only a fresh snapshot can restore them.
    if (this.inSnapshot) {
      this.offset = undefined;
      this.inSnapshot = false;
    }
    const key = this.opts.apiKey;
    // A subprotocol is an HTTP token: a key with other characters can only go as a header (ws only).
    const byHeader = key !== undefined && (this.opts.auth === 'header' || (!TOKEN.test(key) && (this.opts.transport === 'ws' || !platformWebSocket())));
    const protocols = key !== undefined && !byHeader ? [SUBPROTOCOL, BEARER_PROTOCOL_PREFIX + key] : [SUBPROTOCOL];
    const headers: Record<string, string> = byHeader ? { authorization: `Bearer ${key}` } : {};
    let socket: LiveSocket | undefined;
    openSocket(this.url(), protocols, headers, {
      open: () => {
        this.connections++;
        this.delay = this.opts.reconnectMinMs ?? 100;
        this.opts.onOpen?.();
      },
      message: (text) => {
        // A frame from a connection already replaced (a drop raced a late message) is stale.
        if (socket !== undefined && socket !== this.ws) return;
        this.frame(text);
      },
      close: (code, reason) => this.onClosed(code, reason),
    }, byHeader ? 'ws' : this.opts.transport).then(
      (s) => {
        socket = s;
        this.ws = s;
        if (this.stopped) s.close(1000);
      },
      // The WebSocket constructor refused the URL or a protocol: trying again cannot help.
      (err: unknown) => {
        this.stopped = true;
        this.onClosed(0, (err as Error).message);
      },
    );
  }

  private onClosed(code: number, reason: string): void {
    if (FINAL_CLOSES.has(code)) this.stopped = true;
    this.opts.onClose?.(code, reason);
    if (this.stopped) return;
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, this.opts.reconnectMaxMs ?? 5_000);
  }

  private frame(text: string): void {
    const parsed = JSON.parse(text) as ServerMessage<R> | ServerMessage<R>[];
    let changed = false;
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) changed = this.apply(m) || changed;
    if (changed && !this.inSnapshot) this.opts.onRows?.(this.rows);
  }

  /** Applies one message; true when the rows changed. */
  private apply(m: ServerMessage<R>): boolean {
    switch (m.type) {
      case 'snapshot':
        if (!this.inSnapshot) this.rows.clear();
        m.rows.forEach((row, i) => this.rows.set(m.keys[i]!, row));
        this.inSnapshot = m.last === false;
        if (!this.inSnapshot && m.offset !== undefined) {
          this.offset = m.offset;
          this.opts.onSnapshot?.({ ...m, offset: m.offset });
        }
        return true;
      case 'change':
        if (m.op === 'delete') this.rows.delete(m.key);
        else this.rows.set(m.key, m.row);
        this.offset = m.offset;
        this.opts.onChange?.(m);
        return true;
      case 'error':
        this.opts.onError?.(m);
        return false;
      default:
        return false; // heartbeats and acknowledgements carry nothing to apply
    }
  }
}
