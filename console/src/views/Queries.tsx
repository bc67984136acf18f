// Every query the key may see: status, lag, watermark, throughput, backfill progress and alerts.
import { useRef } from 'preact/hooks';
import { api, type Alert, type Query } from '../api';
import { History, usePoll } from '../poll';
import { num, time } from '../format';
import { Badge } from '../components/Badge';
import { Sparkline } from '../components/Sparkline';
import { ErrorNote } from './ErrorNote';

const POLL_MS = 2_000;

async function loadQueries(): Promise<{ queries: Query[]; alerts: Alert[] }> {
  const [queries, alerts] = await Promise.all([api.queries(), api.alerts()]);
  return { queries, alerts };
}

/** How far a backfill has come: what is processed out of what was processed plus what is left. */
export function progress(q: Query): number | undefined {
  if (q.processed === undefined || q.lag === undefined) return undefined;
  const total = q.processed + q.lag;
  return total === 0 ? 100 : (100 * q.processed) / total;
}

function Progress({ q }: { q: Query }) {
  const p = progress(q);
  if (p === undefined) return <span class="muted">–</span>;
  if (q.status !== 'catching_up' && q.lag === 0) return <span class="muted">caught up</span>;
  return (
    <span class="progress" title={`${num(q.processed)} of ${num((q.processed ?? 0) + (q.lag ?? 0))} entries`}>
      <span class="progress-bar" style={{ width: `${p.toFixed(1)}%` }} />
      <span class="progress-label">{p.toFixed(0)}%</span>
    </span>
  );
}

export function Queries() {
  const lag = useRef(new History()).current;
  const rate = useRef(new History()).current;
  const { data, error } = usePoll(async () => {
    const found = await loadQueries();
    const at = Date.now();
    for (const q of found.queries) {
      lag.add(q.id, at, q.lag ?? 0);
      rate.add(q.id, at, q.throughput ?? 0);
    }
    return found;
  }, POLL_MS);
  const alertsOf = (id: string) => data?.alerts.filter((a) => a.query === id) ?? [];
  const general = data?.alerts.filter((a) => !a.query) ?? [];

  return (
    <section>
      <header class="view-head">
        <h1>Queries</h1>
        <a class="button" href="#/sql">New query</a>
      </header>
      <ErrorNote error={error} />
      {general.map((a) => (
        <div class="note note-warn" key={a.name ?? a.kind}>{a.message ?? a.kind}</div>
      ))}
      <table class="grid" data-testid="queries">
        <thead>
          <tr>
            <th>Query</th>
            <th>Stream</th>
            <th>Status</th>
            <th class="num">Lag</th>
            <th>Lag trend</th>
            <th class="num">Events/s</th>
            <th>Throughput trend</th>
            <th>Watermark</th>
            <th>Backfill</th>
            <th>Alerts</th>
          </tr>
        </thead>
        <tbody>
          {data?.queries.map((q) => (
            <tr key={q.id}>
              <td>
                <a href={`#/queries/${q.id}`} class="name">{q.name}</a>
                {q.name !== q.id && <div class="mono muted small">{q.id}</div>}
              </td>
              <td>{q.stream}</td>
              <td><Badge status={q.status} title={q.error} /></td>
              <td class="num">{num(q.lag)}</td>
              <td><Sparkline values={lag.get(q.id).v} color="#d97706" label="lag (entries)" /></td>
              <td class="num">{num(q.throughput, 'dec')}</td>
              <td><Sparkline values={rate.get(q.id).v} label="throughput (events/s)" /></td>
              <td class="mono small">{time(q.watermark)}</td>
              <td><Progress q={q} /></td>
              <td>
                {alertsOf(q.id).map((a) => (
                  <span class="badge badge-alert" title={a.message} key={a.kind}>{a.kind.replace(/_/g, ' ')}</span>
                ))}
              </td>
            </tr>
          ))}
          {data && data.queries.length === 0 && (
            <tr>
              <td colSpan={10} class="empty">No queries yet: <a href="#/sql">write one</a>.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
