// One entry of a changes stream as the tailer reads it: parsed and serialised lazily, once for all subscribers.
import type { Change } from '../engine/index.js';

export class ChangeEntry {
  private parsed: Change | undefined;
  private plain: string | undefined;
  private readonly muxed = new Map<string, string>();

  /** `raw` is the entry's `c` field: JSON of `{op, key, row, final}`. */
  constructor(readonly partition: number, readonly id: string, readonly raw: string) {}

  get change(): Change {
    return (this.parsed ??= JSON.parse(this.raw) as Change);
  }

  readonly key = (): string => this.change.key;

  /**
   * The `change` message. The stored JSON is spliced rather than re-serialised: the commit wrote
   * it with JSON.stringify, so it is one object, and every subscriber shares the resulting string.
   */
  frame(offset: string, query?: string): string {
    if (query === undefined && offset === this.id) return (this.plain ??= build(this.raw, offset));
    const k = `${query ?? ''}|${offset}`;
    let f = this.muxed.get(k);
    if (f === undefined) {
      f = build(this.raw, offset, query);
      this.muxed.set(k, f);
    }
    return f;
  }
}

function build(raw: string, offset: string, query?: string): string {
  const q = query === undefined ? '' : `"query":${JSON.stringify(query)},`;
  return `{"type":"change",${q}${raw.slice(1, -1)},"offset":"${offset}"}`;
}

/** A `change` message for a row that stopped passing a subscriber's filter. */
export function filteredDelete(c: Change, offset: string, query?: string): string {
  return JSON.stringify({ type: 'change', ...(query === undefined ? {} : { query }), op: 'delete', key: c.key, row: c.row, offset, final: c.final });
}
