// One client connection (WebSocket or SSE): its outbox, its subscriptions, heartbeats and close.
import type { Log } from '../util/logger.js';
import type { QueryDefinition } from '../runtime/query-definition.js';
import type { PushHub } from './hub.js';
import { Outbox, type OutboxLimits, type Sink } from './outbox.js';
import type { Subscriber } from './subscriber.js';
import type { RowFilter } from '../runtime/row-filter.js';
import { CLOSE, errorMessage } from './messages.js';
import { telemetry } from '../telemetry/metrics.js';
import type { SharedSlots, Slot } from '../access/shared-slots.js';

export interface SessionLimits extends OutboxLimits {
  heartbeatMs: number;
  stallMs: number;
  pingTimeoutMs: number;
  maxSubscriptionsPerKey: number;
}

export class PushSession {
  readonly outbox: Outbox;
  private readonly subs = new Map<string, { sub: Subscriber | 'starting'; slot: Slot }>();
  private readonly timer: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly sink: Sink,
    private readonly hub: PushHub,
    /** The per-key subscription quota, shared by every process. */
    private readonly slots: SharedSlots,
    private readonly limits: SessionLimits,
    private readonly log: Log,
    /** Whose subscriptions these are, for the per-key limit (API key label, or the address). */
    readonly label: string,
    /** Messages name their query (the multiplexed socket). */
    private readonly mux: boolean,
  ) {
    this.outbox = new Outbox(sink, limits, (reason) => {
      this.countDropped(reason, 'closing a slow push client');
      this.closeWith(CLOSE.SLOW_CONSUMER, 'slow consumer: resume from your last offset', errorMessage('SG_ERR_SLOW_CONSUMER', undefined, `the client fell too far behind (${reason}); resume from the last offset`));
    });
    this.timer = setInterval(() => this.beat(), limits.heartbeatMs);
    this.timer.unref();
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  /**
   * Subscribes this connection to a query; errors are sent as `error` messages. `slot` is the
   * subscription quota slot when the caller took it already (before a one-query upgrade).
   */
  async subscribe(def: QueryDefinition, from: string | undefined, filter: RowFilter, slot?: Slot): Promise<void> {
    const query = this.mux ? def.id : undefined;
    if (this.subs.has(def.id)) {
      slot?.release();
      return this.outbox.push(errorMessage('SG_ERR_BAD_MESSAGE', query, 'already subscribed to this query; unsubscribe first'));
    }
    let taken = slot;
    try {
      taken ??= await this.slots.take(this.label, this.limits.maxSubscriptionsPerKey);
    } catch (err) {
      this.log.error({ err, query: def.id }, 'subscription quota unavailable');
      return this.outbox.push(errorMessage('SG_ERR_INTERNAL', query));
    }
    if (!taken) {
      const msg = errorMessage('SG_ERR_TOO_MANY_SUBSCRIPTIONS', query);
      if (this.mux) this.outbox.push(msg);
      else this.closeWith(CLOSE.POLICY, 'too many subscriptions', msg);
      return;
    }
    if (this.ended || this.subs.has(def.id)) {
      // Closed, or the same query subscribed again, while the slot was taken.
      taken.release();
      return;
    }
    const entry: { sub: Subscriber | 'starting'; slot: Slot } = { sub: 'starting', slot: taken };
    this.subs.set(def.id, entry);
    try {
      const sub = await this.hub.subscribe({ def, from, filter, outbox: this.outbox, mux: this.mux, onGone: () => this.gone(def.id) });
      if (this.ended || this.subs.get(def.id) !== entry) {
        // Closed or unsubscribed while the snapshot was read.
        this.hub.unsubscribe(sub);
        return;
      }
      entry.sub = sub;
    } catch (err) {
      this.subs.delete(def.id);
      taken.release();
      this.log.error({ err, query: def.id }, 'push subscribe failed');
      this.outbox.push(errorMessage('SG_ERR_INTERNAL', query));
    }
  }

  unsubscribe(queryId: string): boolean {
    const entry = this.subs.get(queryId);
    if (entry === undefined) return false;
    this.subs.delete(queryId);
    entry.slot.release();
    if (entry.sub !== 'starting') this.hub.unsubscribe(entry.sub);
    return true;
  }

  /** Sends a last message (when given) and closes with `code`. */
  closeWith(code: number, reason: string, last?: string): void {
    if (this.ended) return;
    if (last) this.sink.send(last, () => undefined);
    this.end();
    this.sink.close(code, reason);
  }

  /** The connection is gone (closed by either side): drop every subscription. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.hub.peakQueued = Math.max(this.hub.peakQueued, this.outbox.peak);
    clearInterval(this.timer);
    this.outbox.close();
    for (const id of [...this.subs.keys()]) this.unsubscribe(id);
  }

  private gone(queryId: string): void {
    this.unsubscribe(queryId);
    const msg = errorMessage('SG_ERR_QUERY_DELETED', this.mux ? queryId : undefined);
    if (this.mux) this.outbox.push(msg);
    else this.closeWith(CLOSE.QUERY_GONE, 'query deleted', msg);
  }

  /** A connection the server closes on its own: counted for the metric and the tests. */
  private countDropped(reason: string, msg: string): void {
    this.hub.dropped++;
    telemetry().subscribersDropped.add(1);
    this.log.info({ who: this.label, reason }, msg);
  }

  private beat(): void {
    if (this.sink.probe?.(this.limits.pingTimeoutMs) === false) {
      this.countDropped('no pong', 'closing a push client that stopped answering pings');
      this.end();
      this.sink.cut?.();
      return;
    }
    this.outbox.checkStall(this.limits.stallMs);
    // A heartbeat behind queued messages would only take room: send one when nothing waits.
    if (!this.ended && this.outbox.size === 0) this.outbox.push(`{"type":"heartbeat","time":"${new Date().toISOString()}"}`);
  }
}
