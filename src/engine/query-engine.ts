// The incremental aggregation engine: events → groups → changed rows, with watermarks and checkpoints.
import { FunctionError } from '../sql/errors.js';
import { builtinAggregates } from '../sql/functions/aggregates.js';
import type { QueryPlan } from '../sql/plan.js';
import type { SqlType } from '../sql/types.js';
import { exactNumber, isoTime } from '../sql/values.js';
import { EngineConfigError, EngineLimitError, EngineStateError } from './errors.js';
import type { EventData, Fn, GroupView } from './expr.js';
import { compileGroupExpr, compileRowExpr } from './expr.js';
import type { BoundAggregate, Group } from './group.js';
import { bindAggregates, deserializeGroup, serializeGroup } from './group.js';
import { GroupStore } from './group-store.js';
import type { ApplyResult, Change, Engine, EngineOptions, Row, SourceEvent, StateDelta } from './types.js';
import type { WindowAssigner } from './windows.js';
import { windowAssigner } from './windows.js';

const SKIP = Symbol('skip');
const builtins = new Set<unknown>(builtinAggregates);

interface Meta {
  v: 1;
  maxTs: number | null;
  wm: number | null;
  lastActivity: number | null;
  sawEvents: boolean;
}

function format(v: unknown, type: SqlType): unknown {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return exactNumber(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    if (type === 'timestamp') return isoTime(v);
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
  private readonly argFns: (Fn<EventData> | undefined)[];
  private readonly filterFns: (Fn<EventData> | undefined)[];
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

  private epoch = 0;
  private dirty: Group[] = [];
  private changes = new Map<string, Change>();
  private closed: { key: string; row: Row }[] = [];
  private late: SourceEvent[] = [];
  private readonly delta = new Map<string, Group | null>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;
  private currentAgg = -1;

  constructor(private readonly plan: QueryPlan, private readonly opts: EngineOptions) {
    if (opts.emit === 'final' && !plan.window) throw new EngineConfigError("emit 'final' needs a windowed query: an unwindowed group never closes");
    if (!(opts.latenessMs >= 0)) throw new EngineConfigError('latenessMs must be a non-negative number');
    this.where = plan.where ? compileRowExpr(plan.where) : undefined;
    this.keyFns = plan.keys.map((k) => compileRowExpr(k.expr));
    this.aggs = bindAggregates(plan);
    this.argFns = plan.aggregates.map((a) => (a.arg ? compileRowExpr(a.arg) : undefined));
    this.filterFns = plan.aggregates.map((a) => (a.filter ? compileRowExpr(a.filter) : undefined));
    this.outputs = plan.outputs.map((o) => ({ name: o.name, fn: compileGroupExpr(o.expr), type: o.type }));
    this.having = plan.having ? compileGroupExpr(plan.having) : undefined;
    this.session = plan.window?.kind === 'session';
    this.gap = plan.window?.kind === 'session' ? plan.window.gap : 0;
    this.assigner = plan.window && plan.window.kind !== 'session' ? windowAssigner(plan.window) : undefined;
    this.store = new GroupStore(plan, this.aggs, opts.limits?.maxGroups ?? Infinity);
  }

  get watermark(): number {
    return this.wm;
  }

  apply(batch: SourceEvent[]): ApplyResult {
    this.begin();
    try {
      this.run(batch);
    } catch (err) {
      throw this.classify(err);
    }
    return this.finish();
  }

  private run(batch: SourceEvent[]): void {
    const { keyFns, argFns, filterFns, aggs, where, assigner, store } = this;
    const nKeys = keyFns.length;
    const nAggs = aggs.length;
    const keys: unknown[] = new Array<unknown>(nKeys);
    const vals: unknown[] = new Array<unknown>(nAggs);
    const starts: number[] = [];
    const ends: number[] = [];
    const ctx = { ts: 0, id: '' };
    const windowed = this.plan.window !== undefined;
    const lateness = this.opts.latenessMs;
    const hooks = { dropped: (g: Group) => this.drop(g), rekeyed: (g: Group, old: string) => this.rekey(g, old) };
    if (batch.length > 0) this.sawEvents = true;
    for (const ev of batch) {
      const t = ev.ts;
      if (windowed) {
        if (typeof t !== 'number' || !Number.isFinite(t)) {
          this.late.push(ev);
          continue;
        }
        if (t > this.maxTs) {
          this.maxTs = t;
          this.advance(t - lateness);
        }
        if (this.session ? t < this.wm : (assigner as WindowAssigner).firstEnd(t) <= this.wm) {
          this.late.push(ev);
          continue;
        }
      } else if (t > this.maxTs) this.maxTs = t;
      const data = ev.data;
      if (where !== undefined && where(data) !== true) continue;
      for (let i = 0; i < nKeys; i++) keys[i] = (keyFns[i] as Fn<EventData>)(data) ?? null;
      for (let i = 0; i < nAggs; i++) {
        const f = filterFns[i];
        if (f !== undefined && f(data) !== true) {
          vals[i] = SKIP;
          continue;
        }
        const a = argFns[i];
        const v = a === undefined ? 1 : a(data);
        vals[i] = (v === null || v === undefined) && !(aggs[i] as BoundAggregate).acceptsNulls ? SKIP : v ?? null;
      }
      ctx.ts = t;
      ctx.id = ev.id;
      if (!windowed) this.update(store.flatGroup(keys), vals, ctx);
      else if (this.session) this.update(store.sessionGroup(keys, t, this.gap, hooks), vals, ctx);
      else {
        const n = (assigner as WindowAssigner).assign(t, starts, ends);
        for (let w = 0; w < n; w++) this.update(store.windowGroup(keys, starts[w] as number, ends[w] as number), vals, ctx);
      }
    }
  }

  private update(g: Group, vals: unknown[], ctx: { ts: number; id: string }): void {
    const aggs = this.aggs;
    const states = g.states;
    for (let i = 0; i < vals.length; i++) {
      const v = vals[i];
      if (v === SKIP) continue;
      this.currentAgg = i;
      states[i] = (aggs[i] as BoundAggregate).fn.add(states[i], v, ctx);
    }
    if (g.mark !== this.epoch) {
      g.mark = this.epoch;
      this.dirty.push(g);
    }
  }

  // Raises the watermark and closes every window it has passed.
  private advance(candidate: number): void {
    if (candidate <= this.wm) return;
    this.wm = candidate;
    if (candidate < this.store.nextCloseAt) return;
    for (const g of this.store.takeClosed(candidate)) this.finalize(g);
  }

  private finalize(g: Group): void {
    const row = this.rowOf(g);
    const pass = this.passes(g);
    this.delta.set(g.rowKey, null);
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

  private passes(g: Group): boolean {
    return this.having === undefined || this.having(this.view(g)) === true;
  }

  private rowOf(g: Group): Row {
    const view = this.view(g);
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
    // While idle, event time is taken to move with processing time from the last event seen.
    if (idle !== undefined && elapsed >= idle && Number.isFinite(this.maxTs) && this.plan.window) {
      try {
        this.advance(this.maxTs - this.opts.latenessMs + elapsed);
      } catch (err) {
        throw this.classify(err);
      }
    }
    return this.finish();
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
      const pass = this.passes(g);
      if (emitChanges) {
        if (pass) this.changes.set(g.rowKey, { op: 'upsert', key: g.rowKey, row: this.rowOf(g), final: false });
        else if (g.visible) this.changes.set(g.rowKey, { op: 'delete', key: g.rowKey, row: this.rowOf(g), final: false });
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
    if (err instanceof FunctionError || err instanceof EngineLimitError || err instanceof EngineStateError) return err;
    const agg = this.aggs[this.currentAgg];
    if (err instanceof RangeError && /ARRAY_AGG/.test(err.message)) return new EngineLimitError(err.message, { cause: err });
    if (agg !== undefined && !builtins.has(agg.fn)) return new FunctionError(agg.fn.name, err instanceof Error ? err.message : 'threw', { cause: err });
    return err;
  }

  rows(): { key: string; row: Row }[] {
    const out: { key: string; row: Row }[] = [];
    for (const g of this.store.all()) if (this.passes(g)) out.push({ key: g.rowKey, row: this.rowOf(g) });
    return out;
  }

  takeDelta(): StateDelta {
    const set: Record<string, string> = {};
    const del: string[] = [];
    for (const [key, g] of this.delta) {
      if (g === null || g.removed || g.rowKey !== key) del.push(key);
      else set[key] = serializeGroup(g, this.aggs);
    }
    this.delta.clear();
    return { set, del, meta: this.metaText() };
  }

  private metaText(): string {
    const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
    const meta: Meta = { v: 1, maxTs: fin(this.maxTs), wm: fin(this.wm), lastActivity: this.lastActivity, sawEvents: this.sawEvents };
    return JSON.stringify(meta);
  }

  load(entries: Record<string, string>, meta: string): void {
    let m: Meta;
    try {
      m = JSON.parse(meta) as Meta;
    } catch (err) {
      throw new EngineStateError('engine meta is not valid JSON', { cause: err });
    }
    if (m.v !== 1) throw new EngineStateError(`unknown engine meta version ${String(m.v)}`);
    this.store = new GroupStore(this.plan, this.aggs, this.opts.limits?.maxGroups ?? Infinity);
    this.delta.clear();
    this.sizes.clear();
    this.bytes = 0;
    for (const [key, text] of Object.entries(entries)) {
      const g = deserializeGroup(text, this.aggs, this.session);
      if (g.rowKey !== key) throw new EngineStateError(`checkpoint entry ${key} holds group ${g.rowKey}`);
      this.store.insert(g);
      if (this.opts.limits?.maxStateBytes !== undefined) {
        this.sizes.set(key, key.length + text.length);
        this.bytes += key.length + text.length;
      }
    }
    this.maxTs = m.maxTs ?? -Infinity;
    this.wm = m.wm ?? -Infinity;
    this.lastActivity = m.lastActivity;
    this.sawEvents = m.sawEvents;
  }

  snapshot(): string {
    const entries: Record<string, string> = {};
    for (const g of this.store.all()) entries[g.rowKey] = serializeGroup(g, this.aggs);
    return JSON.stringify({ entries, meta: this.metaText() });
  }

  restore(s: string): void {
    let parsed: { entries: Record<string, string>; meta: string };
    try {
      parsed = JSON.parse(s) as { entries: Record<string, string>; meta: string };
    } catch (err) {
      throw new EngineStateError('snapshot is not valid JSON', { cause: err });
    }
    this.load(parsed.entries, parsed.meta);
  }
}
