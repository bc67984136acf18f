// Where live groups are kept: one table, one table per window (by end), or session lists per key.
import type { QueryPlan } from '../sql/plan.js';
import type { BoundAggregate, Group } from './group.js';
import { rowKeyOf } from './group.js';
import { EngineLimitError } from './errors.js';
import { KeyTable } from './key-table.js';
import { valueKey } from '../functions/index.js';
import { MinHeap } from './min-heap.js';
import btree from 'sorted-btree';

// A CommonJS module: its default export is the class.
const BTree = btree.default;
type Sessions = InstanceType<typeof BTree<number, Group>>;

interface Slot {
  start: number;
  end: number;
  table: KeyTable<Group>;
}

/** Callbacks for groups that disappear or change key while sessions merge. */
export interface SessionHooks {
  dropped(g: Group): void;
  rekeyed(g: Group, oldKey: string): void;
}

/** Holds every open group and knows the earliest time a window may close. */
export class GroupStore {
  private readonly flat: KeyTable<Group>;
  // Windows are keyed by end: unique for tumble, hop and cumulate, and the order they close in.
  private readonly windows = new Map<number, Slot>();
  // One key's open sessions by start: disjoint, so ordered by end too; a lookup is O(log n).
  private readonly sessions: KeyTable<Sessions>;
  // Session ends only grow, so an entry whose end no longer matches its group is stale and skipped.
  private readonly sessionEnds = new MinHeap<Group>();
  private sessionCount = 0;
  private readonly depth: number;
  /** A lower bound of the earliest open window end; exact after each close. */
  nextCloseAt = Infinity;

  /** Whether a watermark of `wm` closes some window: at or past a fixed window's end, past a session's. */
  closesBy(wm: number): boolean {
    return this.plan.window?.kind === 'session' ? wm > this.nextCloseAt : wm >= this.nextCloseAt;
  }
  count = 0;

  constructor(private readonly plan: QueryPlan, private readonly aggs: BoundAggregate[], private readonly maxGroups: number) {
    this.depth = plan.keys.length;
    this.flat = new KeyTable(this.depth);
    this.sessions = new KeyTable(this.depth);
  }

  private create(keys: unknown[], start: number, end: number): Group {
    if (++this.count > this.maxGroups) {
      throw new EngineLimitError(`query exceeds its limit of ${this.maxGroups} open groups`);
    }
    return {
      keys: keys.slice(),
      states: this.aggs.map((a) => a.fn.init(a.params)),
      start,
      end,
      rowKey: rowKeyOf(keys, start, end, this.plan.window?.kind === 'session'),
      visible: false,
      removed: false,
      mark: -1,
      fresh: true,
    };
  }

  /** The table of an unwindowed query. */
  get flatTable(): KeyTable<Group> {
    return this.flat;
  }

  /** The table of one fixed window, created on first use. */
  windowTable(start: number, end: number): KeyTable<Group> {
    let slot = this.windows.get(end);
    if (slot === undefined) {
      slot = { start, end, table: new KeyTable(this.depth) };
      this.windows.set(end, slot);
      if (end < this.nextCloseAt) this.nextCloseAt = end;
    }
    return slot.table;
  }

  /** Creates a group in `table` (the caller has checked it is missing). */
  createIn(table: KeyTable<Group>, keys: unknown[], start: number, end: number): Group {
    const g = this.create(keys, start, end);
    table.set(keys, g);
    return g;
  }

  /** The group of one single-column key in `table`, created on first use (the key array is built only then). */
  singleKeyGroup(table: KeyTable<Group>, k: unknown, start: number, end: number): Group {
    const g = table.flat.get(k !== null && typeof k === 'object' ? valueKey(k) : k) as Group | undefined;
    return g ?? this.createIn(table, [k], start, end);
  }

  /**
   * The session an event at `t` belongs to. Sessions are [first event, last event + gap); an event
   * joins every session its own [t, t + gap] touches, merging them into the earliest one.
   */
  sessionGroup(keys: unknown[], t: number, gap: number, hooks: SessionHooks): Group {
    let tree = this.sessions.get(keys);
    if (tree === undefined) {
      tree = new BTree<number, Group>();
      this.sessions.set(keys, tree);
    }
    const hi = t + gap;
    // Inclusive, as Flink and ksqlDB: events exactly `gap` apart share a session. Sessions are more
    // than `gap` apart and at least `gap` long, so at most two touch [t, t + gap]: walk down from the
    // last one starting at or before hi while they still end at or after t.
    const hits: Group[] = [];
    for (let pair = tree.getPairOrNextLower(hi); pair !== undefined && pair[1].end >= t; pair = tree.nextLowerPair(pair[0])) hits.unshift(pair[1]);
    const target = hits[0];
    if (target === undefined) {
      const g = this.create(keys, t, hi);
      tree.set(t, g);
      this.sessionCount++;
      this.trackSession(g);
      return g;
    }
    const endBefore = target.end;
    for (let i = 1; i < hits.length; i++) {
      const other = hits[i] as Group;
      target.states = target.states.map((s, j) => (this.aggs[j] as BoundAggregate).fn.merge(s, other.states[j]));
      if (other.end > target.end) target.end = other.end;
      tree.delete(other.start);
      other.removed = true;
      this.count--;
      this.sessionCount--;
      hooks.dropped(other);
    }
    if (hi > target.end) target.end = hi;
    if (target.end !== endBefore) this.trackSession(target);
    if (t < target.start) {
      const oldKey = target.rowKey;
      tree.delete(target.start);
      target.start = t;
      tree.set(t, target);
      target.rowKey = rowKeyOf(target.keys, t, target.end, true);
      target.fresh = true;
      hooks.rekeyed(target, oldKey);
    }
    return target;
  }

  private trackSession(g: Group): void {
    this.sessionEnds.push(g.end, g);
    // Stale entries pile up while sessions grow; rebuild from the live sessions when they dominate.
    if (this.sessionEnds.size > 4 * this.sessionCount + 1024) {
      this.sessionEnds.clear();
      for (const tree of this.sessions.values()) for (const s of tree.values()) this.sessionEnds.push(s.end, s);
    }
    this.nextCloseAt = this.sessionEnds.peek();
  }

  /** Removes and returns every group whose window ends at or before `wm`, in (end, key) order. */
  takeClosed(wm: number): Group[] {
    const out: Group[] = [];
    if (this.plan.window?.kind === 'session') {
      // A session ending at `end` can still take an event at exactly `end`: it closes once wm > end.
      while (this.sessionEnds.peek() < wm) {
        const entry = this.sessionEnds.pop();
        const g = entry?.value;
        if (g === undefined || g.removed || g.end !== entry?.at) continue;
        g.removed = true;
        out.push(g);
        const tree = this.sessions.get(g.keys);
        if (tree) {
          tree.delete(g.start);
          if (tree.size === 0) this.sessions.delete(g.keys);
        }
      }
      this.sessionCount -= out.length;
      this.nextCloseAt = this.sessionEnds.peek();
    } else {
      let next = Infinity;
      for (const [end, slot] of this.windows) {
        if (end <= wm) {
          for (const g of slot.table.values()) out.push(g);
          this.windows.delete(end);
        } else if (end < next) next = end;
      }
      this.nextCloseAt = next;
    }
    this.count -= out.length;
    for (const g of out) g.removed = true;
    return out.sort((a, b) => a.end - b.end || (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
  }

  /** Every open group. */
  *all(): IterableIterator<Group> {
    yield* this.flat.values();
    for (const slot of this.windows.values()) yield* slot.table.values();
    for (const tree of this.sessions.values()) yield* tree.values();
  }

  /** Puts back a group read from a checkpoint. */
  insert(g: Group): void {
    this.count++;
    const kind = this.plan.window?.kind;
    if (kind === undefined) this.flat.set(g.keys, g);
    else if (kind === 'session') {
      let tree = this.sessions.get(g.keys);
      if (tree === undefined) {
        tree = new BTree<number, Group>();
        this.sessions.set(g.keys, tree);
      }
      tree.set(g.start, g);
      this.sessionCount++;
      this.trackSession(g);
    } else {
      let slot = this.windows.get(g.end);
      if (slot === undefined) {
        slot = { start: g.start, end: g.end, table: new KeyTable(this.depth) };
        this.windows.set(g.end, slot);
      }
      slot.table.set(g.keys, g);
      if (g.end < this.nextCloseAt) this.nextCloseAt = g.end;
    }
  }
}
