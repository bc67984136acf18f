// Every stream the key may read, with its length and an ingest rate from successive polls.
import { useRef } from 'preact/hooks';
import { api, type StreamInfo } from '../api';
import { History, usePoll } from '../poll';
import { num } from '../format';
import { Sparkline } from '../components/Sparkline';
import { ErrorNote } from './ErrorNote';

const POLL_MS = 2_000;

async function loadStreams(): Promise<StreamInfo[]> {
  const names = await api.streams();
  return Promise.all(names.map((s) => api.stream(s.name)));
}

export function Streams() {
  const last = useRef(new Map<string, { at: number; length: number }>()).current;
  const rates = useRef(new History(40)).current;
  const { data: streams, error } = usePoll(async () => {
    const found = await loadStreams();
    const at = Date.now();
    for (const s of found) {
      const prev = last.get(s.name);
      // Trimming can shrink a stream: a negative difference is no rate.
      if (prev && at > prev.at) rates.add(s.name, at, Math.max(0, ((s.length - prev.length) * 1000) / (at - prev.at)));
      last.set(s.name, { at, length: s.length });
    }
    return found;
  }, POLL_MS);

  return (
    <section>
      <header class="view-head">
        <h1>Streams</h1>
        <span class="muted">refreshed every {POLL_MS / 1000} s</span>
      </header>
      <ErrorNote error={error} />
      <table class="grid" data-testid="streams">
        <thead>
          <tr>
            <th>Name</th>
            <th class="num">Length</th>
            <th class="num">Partitions</th>
            <th class="num">Rate (events/s)</th>
            <th>Recent rate</th>
            <th>Time field</th>
            <th>Last entry</th>
          </tr>
        </thead>
        <tbody>
          {streams?.map((s) => {
            const r = rates.get(s.name).v;
            return (
              <tr key={s.name}>
                <td class="name">{s.name}</td>
                <td class="num">{num(s.length)}</td>
                <td class="num">{s.partitions}</td>
                <td class="num">{r.length ? num(r.at(-1), 'dec') : '–'}</td>
                <td>{r.length > 1 ? <Sparkline values={r} label={`${s.name} events per second`} /> : <span class="muted">collecting…</span>}</td>
                <td><code>{s.timeField}</code></td>
                <td class="mono muted">{s.lastEntryId ?? '–'}</td>
              </tr>
            );
          })}
          {streams && streams.length === 0 && (
            <tr>
              <td colSpan={7} class="empty">No streams yet: POST events to /v1/streams/&lt;name&gt;/events.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
