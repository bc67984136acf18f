// One query: its status, a live results table (WebSocket) and, for windowed queries, a chart.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Query, type SinkStatus } from '../api';
import { usePoll } from '../poll';
import { useApiKey } from '../key';
import { num, time } from '../format';
import { LiveResults, type LiveState, type Row } from '../live';
import { Badge } from '../components/Badge';
import { ErrorNote } from './ErrorNote';
import { ResultsTable } from './ResultsTable';
import { WindowChart } from './WindowChart';

function useLive(id: string) {
  const key = useApiKey();
  const [rows, setRows] = useState<Row[]>([]);
  const [state, setState] = useState<{ state: LiveState; detail?: string }>({ state: 'connecting' });
  const live = useRef<LiveResults | null>(null);
  useEffect(() => {
    const client = new LiveResults({
      query: id,
      onRows: (m) => setRows([...m.values()]),
      onState: (s, detail) => setState({ state: s, ...(detail ? { detail } : {}) }),
    }).start();
    live.current = client;
    return () => client.close();
  }, [id, key]);
  return { rows, ...state, live };
}

/** Pause, resume and delete; the status is read again at once after each. */
function QueryActions({ q, onDone }: { q: Query; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error | undefined>();
  const run = async (action: () => Promise<unknown>, after?: () => void) => {
    setBusy(true);
    setFailure(undefined);
    try {
      await action();
      after?.();
      onDone();
    } catch (err) {
      setFailure(err as Error);
    } finally {
      setBusy(false);
    }
  };
  const paused = q.status === 'paused' || q.status === 'failed';
  return (
    <div class="actions">
      {paused ? (
        <button type="button" class="secondary" disabled={busy} onClick={() => void run(() => api.resume(q.id))}>Resume</button>
      ) : (
        <button type="button" class="secondary" disabled={busy} onClick={() => void run(() => api.pause(q.id))}>Pause</button>
      )}
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={() => {
          if (window.confirm(`Delete query ${q.name}? Its state and results go too.`)) void run(() => api.remove(q.id), () => (location.hash = '#/queries'));
        }}
      >
        Delete
      </button>
      {failure && <ErrorNote error={failure} />}
    </div>
  );
}

/** Where the query's changes go besides Redis: each sink's progress and last error. */
function Sinks({ sinks }: { sinks: SinkStatus[] }) {
  return (
    <div class="panel" data-testid="sinks">
      <h2>Sinks</h2>
      <div class="table-wrap">
        <table class="grid">
          <thead>
            <tr><th>Name</th><th>Type</th><th>State</th><th class="num">Delivered</th><th class="num">Dead-lettered</th><th class="num">Lag</th><th>Last error</th></tr>
          </thead>
          <tbody>
            {sinks.map((s) => (
              <tr key={s.name}>
                <td>{s.name}</td>
                <td>{s.type}</td>
                <td><Badge status={s.state} /></td>
                <td class="num">{num(s.delivered)}</td>
                <td class="num">{num(s.deadLettered)}</td>
                <td class="num">{num(s.lagChanges)} · {num(s.lagMs)} ms</td>
                <td class="small">{s.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function QueryView({ id }: { id: string }) {
  const [reload, setReload] = useState(0);
  const { data: q, error } = usePoll(() => api.query(id), 2_000, [id, reload]);
  const live = useLive(id);
  const columns = q?.columns?.map((c) => c.name) ?? Object.keys(live.rows[0] ?? {});
  const windowed = columns.includes('window_start');

  return (
    <section>
      <header class="view-head">
        <h1>
          <a href="#/queries" class="crumb">Queries</a> / {q?.name ?? id}
        </h1>
        {q && (
          <span data-testid="query-status">
            <Badge status={q.status} title={q.error} />
          </span>
        )}
        {q && <QueryActions q={q} onDone={() => setReload((n) => n + 1)} />}
      </header>
      <ErrorNote error={error} />
      {q?.error && <div class="note note-error">{q.error}</div>}
      {q && (
        <dl class="stats">
          <div><dt>Stream</dt><dd>{q.stream}</dd></div>
          <div><dt>Lag</dt><dd>{num(q.lag)}</dd></div>
          <div><dt>Processed</dt><dd>{num(q.processed)}</dd></div>
          <div><dt>Events/s</dt><dd>{num(q.throughput, 'dec')}</dd></div>
          <div><dt>Late events</dt><dd>{num(q.late)}</dd></div>
          <div><dt>E2E p99</dt><dd>{q.latencyMs?.p99 == null ? '–' : `${num(q.latencyMs.p99)} ms`}</dd></div>
          <div><dt>Watermark</dt><dd class="mono">{time(q.watermark)}</dd></div>
          <div><dt>Emit</dt><dd>{q.emit ?? 'changes'}</dd></div>
        </dl>
      )}
      {q && <pre class="sql">{q.sql}</pre>}
      {q?.sinkStatus && q.sinkStatus.length > 0 && <Sinks sinks={q.sinkStatus} />}

      {windowed && (
        <div class="panel">
          <h2>Windows</h2>
          <WindowChart rows={live.rows} columns={columns} />
        </div>
      )}

      <div class="panel">
        <div class="panel-head">
          <h2>Live results</h2>
          <span class="muted small">{live.rows.length} rows</span>
          <span class="spacer" />
          <span data-testid="live-state">
            <Badge status={live.state} title={live.detail} />
          </span>
          <span class="mono muted small" title="where a reconnect resumes">{live.live.current?.offset ?? ''}</span>
          <button type="button" class="secondary" onClick={() => live.live.current?.drop()}>Reconnect</button>
        </div>
        {live.detail && <div class="muted small">{live.detail}</div>}
        <ResultsTable rows={live.rows} columns={columns} />
      </div>
    </section>
  );
}
