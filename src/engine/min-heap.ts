// A binary min-heap keyed by number: finds the next session to close without scanning every key.

/** Entries ordered by `at`, smallest first. */
export class MinHeap<T> {
  private readonly items: { at: number; value: T }[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The smallest key, or Infinity when empty. */
  peek(): number {
    return this.items[0]?.at ?? Infinity;
  }

  push(at: number, value: T): void {
    const items = this.items;
    items.push({ at, value });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as { at: number; value: T };
      const c = items[i] as { at: number; value: T };
      if (p.at <= c.at) break;
      items[parent] = c;
      items[i] = p;
      i = parent;
    }
  }

  pop(): { at: number; value: T } | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && (items[l] as { at: number }).at < (items[m] as { at: number }).at) m = l;
      if (r < items.length && (items[r] as { at: number }).at < (items[m] as { at: number }).at) m = r;
      if (m === i) break;
      const tmp = items[m] as { at: number; value: T };
      items[m] = items[i] as { at: number; value: T };
      items[i] = tmp;
      i = m;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
