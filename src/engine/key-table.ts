// Groups by several key values in nested Maps: faster than joining the values into one string key.
import { valueKey } from '../functions/index.js';

/** A map from a fixed-length tuple of key values to T. */
export class KeyTable<T> {
  private readonly root = new Map<unknown, unknown>();

  constructor(private readonly depth: number) {}

  get(keys: readonly unknown[]): T | undefined {
    if (this.depth === 0) return this.root.get(null) as T | undefined;
    let m = this.root;
    const last = this.depth - 1;
    for (let i = 0; i < last; i++) {
      const next = m.get(valueKey(keys[i])) as Map<unknown, unknown> | undefined;
      if (next === undefined) return undefined;
      m = next;
    }
    return m.get(valueKey(keys[last])) as T | undefined;
  }

  set(keys: readonly unknown[], value: T): void {
    if (this.depth === 0) {
      this.root.set(null, value);
      return;
    }
    let m = this.root;
    const last = this.depth - 1;
    for (let i = 0; i < last; i++) {
      const k = valueKey(keys[i]);
      let next = m.get(k) as Map<unknown, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        m.set(k, next);
      }
      m = next;
    }
    m.set(valueKey(keys[last]), value);
  }

  delete(keys: readonly unknown[]): void {
    if (this.depth === 0) {
      this.root.delete(null);
      return;
    }
    const path: Map<unknown, unknown>[] = [this.root];
    let m = this.root;
    for (let i = 0; i < this.depth - 1; i++) {
      const next = m.get(valueKey(keys[i])) as Map<unknown, unknown> | undefined;
      if (next === undefined) return;
      path.push(next);
      m = next;
    }
    m.delete(valueKey(keys[this.depth - 1]));
    // Drop emptied inner maps so a long-running query does not leak them.
    for (let i = path.length - 1; i > 0; i--) {
      if ((path[i]?.size ?? 1) > 0) break;
      path[i - 1]?.delete(valueKey(keys[i - 1]));
    }
  }

  *values(): IterableIterator<T> {
    if (this.depth === 0) {
      yield* this.root.values() as IterableIterator<T>;
      return;
    }
    const walk = function* (m: Map<unknown, unknown>, d: number): IterableIterator<T> {
      for (const v of m.values()) {
        if (d === 1) yield v as T;
        else yield* walk(v as Map<unknown, unknown>, d - 1);
      }
    };
    yield* walk(this.root, this.depth);
  }

  /** The top-level map, for the single-key fast path in the engine's hot loop. */
  get flat(): Map<unknown, unknown> {
    return this.root;
  }
}
