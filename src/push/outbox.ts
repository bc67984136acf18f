// One connection's bounded send buffer: frames wait here while the socket is busy; past a soft
// limit they are conflated by row key, past a hard limit (or a long stall) the connection is closed.

/** Where frames go: a WebSocket or an SSE response. */
export interface Sink {
  /** Bytes accepted but not yet handed to the kernel. */
  bufferedBytes(): number;
  /** Sends one text frame; `written` runs once it has left the process (or failed). */
  send(frame: string | Buffer, written: () => void): void;
  /** Closes the connection with a reason (a WebSocket close code; SSE ends the response). */
  close(code: number, reason: string): void;
  /**
   * Called every heartbeat: pings the peer, or answers false when it has answered no ping for
   * `timeoutMs` (then the connection is cut). Transports without a ping leave it out.
   */
  probe?(timeoutMs: number): boolean;
  /** Cuts the connection at once, for a peer that no longer answers. */
  cut?(): void;
}

export interface OutboxLimits {
  /** Queued messages past which changes to the same row key replace each other. */
  soft: number;
  /** Queued messages past which the connection is closed as a slow consumer. */
  hard: number;
  /** Bytes the sink may hold before frames wait in the queue instead. */
  highWaterBytes: number;
  /** Send several queued messages as one JSON-array frame (the client asked for it). */
  batch: boolean;
  /** Messages in one array frame at most. */
  maxBatch: number;
}

export class Outbox {
  // Insertion-ordered: unique `#seq` keys below the soft limit, `k<rowKey>` keys when conflating,
  // so the survivor of a conflation moves to the position (and offset) of the newest change.
  private readonly queue = new Map<string, string>();
  private seq = 0;
  private scheduled = false;
  private closed = false;
  private lastProgress = Date.now();
  private waiters: (() => void)[] = [];
  /** Messages replaced by a newer change to the same row key. */
  conflated = 0;
  /** Largest queue length seen (tests check memory stays bounded). */
  peak = 0;

  constructor(
    private readonly sink: Sink,
    private readonly limits: OutboxLimits,
    private readonly onOverflow: (reason: string) => void,
  ) {}

  get size(): number {
    return this.queue.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues a message. `rowKey` (changes only) makes it conflatable; it is a function so that
   * the change is parsed only when the queue is actually over the soft limit.
   */
  push(message: string, rowKey?: () => string): void {
    if (this.closed) return;
    if (rowKey && this.queue.size >= this.limits.soft) {
      const k = `k${rowKey()}`;
      if (this.queue.delete(k)) this.conflated++;
      this.queue.set(k, message);
    } else {
      this.queue.set(`#${this.seq++}`, message);
    }
    if (this.queue.size > this.peak) this.peak = this.queue.size;
    if (this.queue.size > this.limits.hard) {
      this.overflow(`more than ${this.limits.hard} messages waiting`);
      return;
    }
    this.schedule();
  }

  /** Batching is on for this connection (shared array frames may be sent to it). */
  get batching(): boolean {
    return this.limits.batch;
  }

  /**
   * The fan-out fast path: when nothing waits and the socket is not backed up, send a frame that
   * every subscriber shares (encoded once). False when the caller must queue message by message.
   */
  sendShared(frame: Buffer): boolean {
    if (this.closed || this.queue.size > 0 || this.scheduled || this.sink.bufferedBytes() >= this.limits.highWaterBytes) return false;
    this.sink.send(frame, this.onWritten);
    return true;
  }

  /** Closes as a slow consumer when messages have waited without any write for `ms`. */
  checkStall(ms: number): void {
    if (!this.closed && this.queue.size > 0 && Date.now() - this.lastProgress > ms) this.overflow(`no progress for ${ms} ms`);
  }

  /**
   * Resolves once every queued message has been handed to the sink, or the outbox closed: a
   * producer of many messages (a large snapshot) waits on it to hold at most one page in memory.
   */
  drained(): Promise<void> {
    if (this.closed || this.queue.size === 0) return Promise.resolve();
    return new Promise((ok) => this.waiters.push(ok));
  }

  /** Stops sending and drops what is queued (the connection is going away). */
  close(): void {
    this.closed = true;
    this.queue.clear();
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const ok of waiting) ok();
  }

  /** Closes as a slow consumer now. */
  overflow(reason: string): void {
    this.close();
    this.onOverflow(reason);
  }

  // Flushing once per tick lets a whole XREAD batch leave in one frame when batching is on.
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private readonly onWritten = (): void => {
    this.lastProgress = Date.now();
    if (this.queue.size > 0) this.schedule();
  };

  private flush(): void {
    while (!this.closed && this.queue.size > 0 && this.sink.bufferedBytes() < this.limits.highWaterBytes) {
      if (this.limits.batch && this.queue.size > 1) {
        const parts: string[] = [];
        for (const [k, m] of this.queue) {
          parts.push(m);
          this.queue.delete(k);
          if (parts.length >= this.limits.maxBatch) break;
        }
        this.sink.send(`[${parts.join(',')}]`, this.onWritten);
      } else {
        const [k, m] = this.queue.entries().next().value as [string, string];
        this.queue.delete(k);
        this.sink.send(m, this.onWritten);
      }
    }
    if (this.queue.size === 0) {
      this.lastProgress = Date.now();
      this.wake();
    }
  }
}
