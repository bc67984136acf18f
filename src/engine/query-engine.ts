// The incremental aggregation engine: events → groups → changed rows, with watermarks and checkpoints.
import type { QueryPlan } from '../sql/plan.js';
import type { SqlType } from '../functions/index.js';
import { exactNumber, isoTime } from '../functions/index.js';
import { Decimal } from '../functions/index.js';
import { GroupLimitError } from '../functions/index.js';
import { decodeMeta, decodeSnapshot, encodeMeta, encodeSnapshot } from './checkpoint.js';
import { EngineConfigError, EngineLimitError, EngineStateError } from './errors.js';
import type { EventData, Fn, GroupView } from './expr.js';
import { compileGroupExpr, compileRowExpr, fieldMiss, simpleFieldName } from './expr.js';
import type { BoundAggregate, Group } from './group.js';
import { bindAggregates, checkpointGroup, deserializeGroup, serializeGroup } from './group.js';
import { GroupStore } from './group-store.js';
import type { KeyTable } from './key-table.js';
import type { Updater } from './updater.js';
import { buildUpdater } from './updater.js';
import type { ApplyResult, Change, Engine, EngineOptions, Row, SourceEvent, StateDelta } from './types.js';
import type { WindowAssigner } from './windows.js';
import { windowAssigner } from './windows.js';

// Beyond ±8.64e15 ms a JavaScript Date (and so an ISO time) does not exist.
const maxTime = 8.64e15;

// Row values as JSON carries them: exact big sums as text, times as ISO, no NaN or Infinity.
function format(v: unknown, type: SqlType): unknown {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return exactNumber(v);
  if (v instanceof Decimal) return v.toJSON();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    if (type === 'timestamp') return Math.abs(v) <= maxTime ? isoTime(v) : null;
  }
  return v;
}

/** Creates an engine for a compiled plan. */
export function createEngine(plan: QueryPlan, opts: EngineOptions): Engine {
  return new QueryEngine(plan, opts);
}

class QueryEngine implements Engine {
  private readonly where: Fn<EventData> | undefined;
  private readonly keyFns: Fn<EventData>[];
  private readonly aggs: BoundAggregate[];
  private readonly updater: Updater;
  private readonly updaterUsesCtx: boolean;
  private readonly outputs: { name: string; fn: Fn<GroupView>; type: SqlType }[];
  private readonly having: Fn<GroupView> | undefined;
  private readonly assigner: WindowAssigner | undefined;
  private readonly gap: number;
  private readonly session: boolean;
  private store: GroupStore;

  private maxTs = -Infinity;
  private wm = -Infinity;
  private lastActivity: number | null = null;
  private sawEvents = false;
  private idleNow = false;
  private sealedTo = -Infinity;
  finalized = -Infinity;
  private readonly partial: boolean;

  private epoch = 0;
  private dirty: Group[] = [];
  private changes = new Map<string, Change>();
  private closed: { key: string; row: Row }[] = [];
  private late: SourceEvent[] = [];
  private readonly delta = new Map<string, Group | null>();
  private readonly sizes = new Map<string, number>();
  /** Row keys whose values hash in the checkpoint holds large states kept outside their entry. */
  private readonly outside = new Set<string>();
  private bytes = 0;

  constructor(private readonly plan: QueryPlan, private readonly opts: EngineOptions) {
    if (opts.emit === 'final' && !plan.window) throw new EngineConfigError("emit 'final' needs a windowed query: an unwindowed group never closes");
    if (!(opts.latenessMs >= 0)) throw new EngineConfigError('latenessMs must be a non-negative number');
    this.where = plan.where ? compileRowExpr(plan.where) : undefined;
    this.keyFns = plan.keys.map((k) => compileRowExpr(k.expr));
    this.aggs = bindAggregates(plan);
    this.updater = buildUpdater(this.aggs, plan.aggregates);
    this.updaterUsesCtx = this.aggs.some((a) => a.fn.kernel === undefined);
    this.outputs = plan.outputs.map((o) => ({ name: o.name, fn: compileGroupExpr(o.expr), type: o.type }));
    this.having = plan.having ? compileGroupExpr(plan.having) : undefined;
    this.session = plan.window?.kind === 'session';
    this.gap = plan.window?.kind === 'session' ? plan.window.gap : 0;
    this.assigner = plan.window && plan.window.kind !== 'session' ? windowAssigner(plan.window) : undefined;
    this.store = new GroupStore(plan, this.aggs, opts.limits?.maxGroups ?? Infinity);
    this.partial = opts.partial === true && this.assigner !== undefined;
  }

  get watermark(): number {
    return this.wm;
  }

  get idle(): boolean {
    return this.idleNow;
  }

  get sealed(): number {
    return this.sealedTo;
  }

  /** Windows ending at or before this are closed: this engine's watermark, or the sealed horizon of a partial one. */
  private get closedTo(): number {
    return this.partial ? this.sealedTo : this.wm;
  }

  seal(horizon: number): Record<string, string> {
    const out: Record<string, string> = {};
    if (!this.partial || !(horizon > this.sealedTo)) return out;
    this.sealedTo = horizon;
    for (const g of this.store.takeClosed(horizon)) {
      out[g.rowKey] = serializeGroup(g, this.aggs);
      this.delta.set(g.rowKey, null);
    }
    return out;
  }

  finalRows(groups: Record<string, string>): ApplyResult {
    const saved = { changes: this.changes, closed: this.closed };
    this.changes = new Map();
    this.closed = [];
    const list = Object.values(groups)
      .map((text) => deserializeGroup(text, this.aggs, this.session))
      .sort((a, b) => a.end - b.end || (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
    for (const g of list) this.finalize(g, false);
    const result = { changes: [...this.changes.values()], late: [], closed: this.closed };
    ({ changes: this.changes, closed: this.closed } = saved);
    return result;
  }

  apply(batch: SourceEvent[]): ApplyResult {
    this.begin();
    try {
      this.run(batch);
      return this.finish();
    } catch (err) {
      throw this.classify(err);
    }
  }

  private run(batch: SourceEvent[]): void {
    const { keyFns, where, assigner, store, updater } = this;
    const nKeys = keyFns.length;
    const key0 = keyFns[0];
    const single = nKeys === 1 && key0 !== undefined;
    const keys: unknown[] = new Array<unknown>(nKeys);
    const starts: number[] = [];
    const ends: number[] = [];
    const ctx = { ts: 0, id: '' };
    const windowed = this.plan.window !== undefined;
    const lateness = this.opts.latenessMs;
    const hooks = { dropped: (g: Group) => this.drop(g), rekeyed: (g: Group, old: string) => this.rekey(g, old) };
    const epoch = this.epoch;
    if (batch.length > 0) {
      this.sawEvents = true;
      this.idleNow = false;
    }
    // Finds or creates the group for the current keys in one table; the single-key case skips the key array.
    const find = (table: KeyTable<Group>, k: unknown, start: number, end: number): Group => {
      if (single) return store.singleKeyGroup(table, k, start, end);
      return table.get(keys) ?? store.createIn(table, keys, start, end);
    };
    const keyExpr = this.plan.keys[0]?.expr;
    const keyName = single ? simpleFieldName(keyExpr) : undefined;
    const keyExact = keyExpr?.k === 'field' && keyExpr.path[0]?.exact === true;
    if (!windowed && single && where === undefined) {
      if (keyName !== undefined) this.runFlatField(batch, keyName, keyExact, ctx);
      else this.runFlatSingle(batch, key0, ctx);
      return;
    }
    // The last window table used: events mostly arrive in time order, so this saves a Map lookup.
    let lastEnd = NaN;
    let lastTable: KeyTable<Group> | undefined;
    // Moves only when the watermark advances (or the sealed horizon, between calls).
    let closedTo = this.closedTo;
    let n = 0;
    for (const ev of batch) {
      const t = ev.ts;
      if (windowed) {
        // Outside ±8.64e15 ms a time has no ISO form; such an event cannot be placed in a window.
        if (typeof t !== 'number' || !(Math.abs(t) <= maxTime)) {
          this.late.push(ev);
          continue;
        }
        if (t > this.maxTs) {
          this.maxTs = t;
          if (this.advance(t - lateness)) lastEnd = NaN;
          closedTo = this.closedTo;
        }
        if (this.session) {
          if (t < this.wm) {
            this.late.push(ev);
            continue;
          }
        } else {
          // Windows come oldest first: late when the first has closed; HOP and CUMULATE may still
          // have later windows open, and the event counts in those.
          n = (assigner as WindowAssigner).assign(t, starts, ends);
          if ((ends[0] as number) <= closedTo) {
            this.late.push(ev);
            if ((ends[n - 1] as number) <= closedTo) continue;
          }
        }
      } else if (t > this.maxTs) this.maxTs = t;
      const data = ev.data;
      if (where !== undefined && where(data) !== true) continue;
      let k: unknown = null;
      if (keyName !== undefined) {
        k = data[keyName];
        if (k === undefined) k = fieldMiss(data, keyName, keyExact) ?? null;
      } else if (single) k = key0(data) ?? null;
      else for (let i = 0; i < nKeys; i++) keys[i] = (keyFns[i] as Fn<EventData>)(data) ?? null;
      ctx.ts = t;
      ctx.id = ev.id;
      if (!windowed || this.session) {
        if (single) keys[0] = k;
        const g = windowed ? store.sessionGroup(keys, t, this.gap, hooks) : find(store.flatTable, k, NaN, NaN);
        updater(g.states, data, ctx);
        if (g.mark !== epoch) this.touch(g);
        continue;
      }
      for (let w = 0; w < n; w++) {
        const s = starts[w] as number;
        const e = ends[w] as number;
        // A window the event missed: it counts only in those still open (as Flink's WindowOperator).
        if (e <= closedTo) continue;
        if (e !== lastEnd || lastTable === undefined) {
          lastTable = store.windowTable(s, e);
          lastEnd = n === 1 ? e : NaN;
        }
        const g = find(lastTable, k, s, e);
        updater(g.states, data, ctx);
        if (g.mark !== epoch) this.touch(g);
      }
    }
  }

  // The hot loop for the most common shape: no window, no WHERE, one group key.
  private runFlatSingle(batch: SourceEvent[], key0: Fn<EventData>, ctx: { ts: number; id: string }): void {
    const { store, updater, epoch } = this;
    const table = store.flatTable;
    let maxTs = this.maxTs;
    for (let j = 0; j < batch.length; j++) {
      const ev = batch[j] as SourceEvent;
      const t = ev.ts;
      if (t > maxTs) maxTs = t;
      const data = ev.data;
      const k = key0(data) ?? null;
      const g = store.singleKeyGroup(table, k, NaN, NaN);
      ctx.ts = t;
      ctx.id = ev.id;
      updater(g.states, data, ctx);
      if (g.mark !== epoch) this.touch(g);
    }
    this.maxTs = maxTs;
  }

  // As runFlatSingle, with the key read in place from one top-level field. Unwindowed, so the
  // event time only matters to aggregates that order by it (ctx) and to the meta's maxTs.
  private runFlatField(batch: SourceEvent[], name: string, exact: boolean, ctx: { ts: number; id: string }): void {
    const { store, updater, epoch } = this;
    const table = store.flatTable;
    const withCtx = this.updaterUsesCtx;
    for (let j = 0; j < batch.length; j++) {
      const ev = batch[j] as SourceEvent;
      const data = ev.data;
      let k = data[name];
      if (k === undefined) k = fieldMiss(data, name, exact) ?? null;
      const g = store.singleKeyGroup(table, k, NaN, NaN);
      if (withCtx) {
        ctx.ts = ev.ts;
        ctx.id = ev.id;
      }
      updater(g.states, data, ctx);
      if (g.mark !== epoch) this.touch(g);
    }
    for (const ev of batch) if (ev.ts > this.maxTs) this.maxTs = ev.ts;
  }

  /** Marks a group as changed in this batch, once: its row goes out with the batch's changes. */
  private touch(g: Group): void {
    g.mark = this.epoch;
    this.dirty.push(g);
  }

  // Raises the watermark and closes every window it has passed; true when some window closed.
  private advance(candidate: number): boolean {
    if (candidate <= this.wm) return false;
    this.wm = candidate;
    if (this.partial || !this.store.closesBy(candidate)) return false;
    const closed = this.store.takeClosed(candidate);
    for (const g of closed) this.finalize(g);
    return true;
  }

  private finalize(g: Group, inState = true): void {
    const view = this.view(g);
    const row = this.rowOf(g, view);
    const pass = this.passes(g, view);
    if (inState) this.delta.set(g.rowKey, null);
    if (pass) this.closed.push({ key: g.rowKey, row });
    if (pass) this.changes.set(g.rowKey, { op: 'upsert', key: g.rowKey, row, final: true });
    else if (g.visible && this.opts.emit === 'changes') this.changes.set(g.rowKey, { op: 'delete', key: g.rowKey, row, final: true });
    g.visible = false;
  }

  private drop(g: Group): void {
    this.delta.set(g.rowKey, null);
    if (g.visible && this.opts.emit === 'changes') this.changes.set(g.rowKey, { op: 'delete', key: g.rowKey, row: this.rowOf(g), final: false });
    g.visible = false;
  }

  private rekey(g: Group, oldKey: string): void {
    this.delta.set(oldKey, null);
    if (g.visible && this.opts.emit === 'changes') this.changes.set(oldKey, { op: 'delete', key: oldKey, row: this.rowOf(g), final: false });
    g.visible = false;
    if (g.mark !== this.epoch) {
      g.mark = this.epoch;
      this.dirty.push(g);
    }
  }

  private view(g: Group): GroupView {
    return { keys: g.keys, results: g.states.map((s, i) => (this.aggs[i] as BoundAggregate).fn.result(s)), start: g.start, end: g.end };
  }

  private passes(g: Group, view: GroupView = this.view(g)): boolean {
    return this.having === undefined || this.having(view) === true;
  }

  private rowOf(g: Group, view: GroupView = this.view(g)): Row {
    const row: Row = {};
    for (const o of this.outputs) row[o.name] = format(o.fn(view), o.type);
    return row;
  }

  advanceIdle(processingTimeMs: number): ApplyResult {
    this.begin();
    if (this.sawEvents || this.lastActivity === null) {
      this.lastActivity = processingTimeMs;
      this.sawEvents = false;
      return this.finish();
    }
    const idle = this.opts.idleTimeoutMs;
    const elapsed = processingTimeMs - this.lastActivity;
    if (idle !== undefined && elapsed >= idle) this.idleNow = true;
    // While idle, event time is taken to move with processing time from the last event seen.
    try {
      if (idle !== undefined && elapsed >= idle && Number.isFinite(this.maxTs) && this.plan.window) {
        this.advance(this.maxTs - this.opts.latenessMs + elapsed);
      }
      return this.finish();
    } catch (err) {
      throw this.classify(err);
    }
  }

  private begin(): void {
    this.epoch++;
    this.dirty = [];
    this.changes = new Map();
    this.closed = [];
    this.late = [];
  }

  private finish(): ApplyResult {
    const emitChanges = this.opts.emit === 'changes';
    for (const g of this.dirty) {
      if (g.removed) continue;
      this.delta.set(g.rowKey, g);
      const view = this.view(g);
      const pass = this.passes(g, view);
      if (emitChanges) {
        if (pass) this.changes.set(g.rowKey, { op: 'upsert', key: g.rowKey, row: this.rowOf(g, view), final: false });
        else if (g.visible) this.changes.set(g.rowKey, { op: 'delete', key: g.rowKey, row: this.rowOf(g, view), final: false });
      }
      g.visible = pass;
    }
    if (this.opts.limits?.maxStateBytes !== undefined) this.checkBytes(this.opts.limits.maxStateBytes);
    return { changes: [...this.changes.values()], late: this.late, closed: this.closed };
  }

  private checkBytes(max: number): void {
    for (const [key, g] of this.delta) {
      const size = g === null || g.removed ? 0 : key.length + serializeGroup(g, this.aggs).length;
      this.bytes += size - (this.sizes.get(key) ?? 0);
      if (size === 0) this.sizes.delete(key);
      else this.sizes.set(key, size);
    }
    if (this.bytes > max) throw new EngineLimitError(`query state is ${this.bytes} bytes, over its limit of ${max}`);
  }

  private classify(err: unknown): unknown {
    // User functions are guarded at registration and throw FunctionError themselves.
    if (err instanceof GroupLimitError) return new EngineLimitError(err.message, { cause: err });
    return err;
  }

  rows(): { key: string; row: Row }[] {
    const out: { key: string; row: Row }[] = [];
    for (const g of this.store.all()) {
      const view = this.view(g);
      if (this.passes(g, view)) out.push({ key: g.rowKey, row: this.rowOf(g, view) });
    }
    return out;
  }

  takeDelta(): StateDelta {
    const set: Record<string, string> = {};
    const del: string[] = [];
    const added: string[] = [];
    const values: [string, [string, string][]][] = [];
    const dropValues: string[] = [];
    for (const [key, g] of this.delta) {
      if (g === null || g.removed || g.rowKey !== key) {
        del.push(key);
        if (this.outside.delete(key)) dropValues.push(key);
        continue;
      }
      // A new group under a key whose values hash an earlier group left: that hash starts over.
      if (g.fresh && this.outside.delete(key)) dropValues.push(key);
      const c = checkpointGroup(g, this.aggs, this.outside.has(key));
      set[key] = c.text;
      if (c.values) {
        this.outside.add(key);
        if (c.values.length > 0) values.push([key, c.values]);
      }
      if (g.fresh) {
        added.push(key);
        g.fresh = false;
      }
    }
    this.delta.clear();
    return { set, del, meta: this.metaText(), added, ...(values.length ? { values } : {}), ...(dropValues.length ? { dropValues } : {}) };
  }

  renderRow(group: string): { row: Row; passes: boolean } {
    const g = deserializeGroup(group, this.aggs, this.session);
    const view = this.view(g);
    return { row: this.rowOf(g, view), passes: this.passes(g, view) };
  }

  private metaText(): string {
    return encodeMeta({ maxTs: this.maxTs, wm: this.wm, lastActivity: this.lastActivity, sawEvents: this.sawEvents, idle: this.idleNow, sealed: this.sealedTo, finalized: this.finalized });
  }

  load(entries: Record<string, string>, meta: string): void {
    const m = decodeMeta(meta);
    this.store = new GroupStore(this.plan, this.aggs, this.opts.limits?.maxGroups ?? Infinity);
    this.delta.clear();
    this.sizes.clear();
    this.outside.clear();
    this.bytes = 0;
    for (const [key, text] of Object.entries(entries)) {
      const g = deserializeGroup(text, this.aggs, this.session);
      if (g.rowKey !== key) throw new EngineStateError(`checkpoint entry ${key} holds group ${g.rowKey}`);
      // Entries come with their outside values put back; a large state was committed outside.
      if (g.states.some((st, i) => this.aggs[i]!.fn.external?.large(st) === true)) this.outside.add(key);
      this.store.insert(g);
      if (this.opts.limits?.maxStateBytes !== undefined) {
        this.sizes.set(key, key.length + text.length);
        this.bytes += key.length + text.length;
      }
    }
    ({ maxTs: this.maxTs, wm: this.wm, lastActivity: this.lastActivity, sawEvents: this.sawEvents, idle: this.idleNow, sealed: this.sealedTo, finalized: this.finalized } = m);
  }

  snapshot(): string {
    const entries: Record<string, string> = {};
    for (const g of this.store.all()) entries[g.rowKey] = serializeGroup(g, this.aggs);
    return encodeSnapshot(entries, this.metaText());
  }

  restore(s: string): void {
    const { entries, meta } = decodeSnapshot(s);
    this.load(entries, meta);
    // A snapshot is not the checkpoint: the next commit writes large states' values whole.
    this.outside.clear();
  }
}

// The runtime's one import point for the engine.
export type { ApplyResult, Change, Engine, EngineLimits, EngineOptions, Row, SourceEvent, StateDelta } from './types.js';
export { EngineConfigError, EngineLimitError, EngineStateError } from './errors.js';
export { mergeStates } from './group.js';
