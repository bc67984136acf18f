// Re-runs a loader every few seconds while a view is shown (and again when the API key changes).
import { useEffect, useState } from 'preact/hooks';
import { useApiKey } from './key';

export interface Polled<T> { data: T | undefined; error: Error | undefined }

export function usePoll<T>(load: () => Promise<T>, everyMs: number, deps: unknown[] = []): Polled<T> {
  const key = useApiKey();
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const data = await load();
        if (!stopped) setState({ data, error: undefined });
      } catch (err) {
        if (!stopped) setState((s) => ({ data: s.data, error: err as Error }));
      }
      if (!stopped) timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, everyMs, ...deps]); // the loader itself is rebuilt on every render, so it is no dependency
  return state;
}

/** A bounded history of samples per name, kept across polls for sparklines and rates. */
export class History {
  private readonly series = new Map<string, { t: number[]; v: number[] }>();
  constructor(private readonly size = 60) {}

  add(name: string, t: number, v: number): void {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = { t: [], v: [] }));
    s.t.push(t);
    s.v.push(v);
    if (s.t.length > this.size) {
      s.t.shift();
      s.v.shift();
    }
  }

  get(name: string): { t: number[]; v: number[] } {
    return this.series.get(name) ?? { t: [], v: [] };
  }
}
