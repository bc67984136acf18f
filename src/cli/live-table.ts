// A query's rows redrawn in place on a terminal (cursor home, lines overwritten, the rest cleared),
// at most 10 times a second however fast changes arrive; sorted by row key, cut to the screen.
import type { Row } from '@streamgate/client';
import { renderTable } from './table.js';

const FRAME_MS = 100;

/** Row keys are JSON arrays of group values (and window): compared value by value, numbers as numbers. */
export function compareKeys(a: string, b: string): number {
  const pa = parseKey(a);
  const pb = parseKey(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x).localeCompare(String(y));
  }
  return pa.length - pb.length;
}

function parseKey(k: string): unknown[] {
  try {
    const v: unknown = JSON.parse(k);
    return Array.isArray(v) ? v : [v];
  } catch {
    return [k];
  }
}

export class LiveTable {
  private rows: ReadonlyMap<string, Row> = new Map();
  private status = 'connecting';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastDraw = 0;
  private started = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly title: string,
    private readonly columns: string[] | undefined,
  ) {}

  start(): void {
    this.started = true;
    this.out.write('\x1b[?25l\x1b[2J');
    this.draw();
  }

  update(rows: ReadonlyMap<string, Row>): void {
    this.rows = rows;
    this.schedule();
  }

  setStatus(status: string): void {
    this.status = status;
    this.schedule();
  }

  /** A last frame, the cursor shown again and moved below the table. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.started) return;
    this.started = false;
    this.draw();
    this.out.write('\x1b[?25h\n');
  }

  private schedule(): void {
    if (!this.started || this.timer) return;
    const wait = Math.max(0, this.lastDraw + FRAME_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
  }

  /** The frame's lines, for a screen of `width` by `height`. */
  frame(width: number, height: number): string[] {
    const keys = [...this.rows.keys()].sort(compareKeys);
    const first = this.rows.values().next().value;
    const columns = this.columns ?? (first ? Object.keys(first) : []);
    const head = [`${this.title}  ${keys.length} row(s)  ${this.status}`.slice(0, width), ''];
    const room = Math.max(1, height - head.length - 3);
    const shown = keys.length > room ? keys.slice(0, room - 1) : keys;
    const table = renderTable(columns, shown.map((k) => this.rows.get(k)!), width);
    if (shown.length < keys.length) table.push(`… ${keys.length - shown.length} more row(s)`);
    return [...head, ...table];
  }

  private draw(): void {
    this.lastDraw = Date.now();
    const lines = this.frame(this.out.columns ?? 80, this.out.rows ?? 24);
    this.out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b[J`);
  }
}
