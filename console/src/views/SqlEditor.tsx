// Write a query, check it (Validate, Explain) and register it; SQL errors point at line:column.
import { useRef, useState } from 'preact/hooks';
import { api, ApiError, type ProblemDetail } from '../api';
import { navigate } from '../router';

const EXAMPLE = `SELECT region, COUNT(*) AS orders, SUM(amount) AS revenue, window_start
FROM orders
GROUP BY region, TUMBLE(ts, INTERVAL '1' MINUTE)`;

type Outcome =
  | { kind: 'ok'; text: string; explain?: string }
  | { kind: 'error'; text: string; line?: number; column?: number };

function describe(err: unknown): Outcome {
  if (!(err instanceof ApiError)) return { kind: 'error', text: (err as Error).message };
  const at: ProblemDetail | undefined = err.errors.find((e) => e.line !== undefined) ?? err.errors[0];
  if (at?.line !== undefined) {
    // The gateway's message may end with the position too; it is said once, up front.
    const message = at.message.replace(/ at line \d+, column \d+$/, '');
    return { kind: 'error', text: `line ${at.line}, column ${at.column ?? 1}: ${message}`, line: at.line, ...(at.column !== undefined ? { column: at.column } : {}) };
  }
  return { kind: 'error', text: at ? `${at.field ? at.field + ': ' : ''}${at.message}` : err.message };
}

export function SqlEditor() {
  const [sql, setSql] = useState(EXAMPLE);
  const [name, setName] = useState('');
  const [start, setStart] = useState('earliest');
  const [emit, setEmit] = useState('changes');
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const text = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = sql.split('\n').length;
  const errorLine = outcome?.kind === 'error' ? outcome.line : undefined;

  const run = async (what: 'validate' | 'explain' | 'register') => {
    setBusy(true);
    try {
      if (what === 'register') {
        const q = await api.register({ sql, start, emit, ...(name.trim() ? { name: name.trim() } : {}) });
        navigate(`#/queries/${q.id}`);
        return;
      }
      const v = await api.validate(sql);
      const cols = v.columns.map((c) => `${c.name} ${c.type}`).join(', ');
      setOutcome({ kind: 'ok', text: `Valid: reads ${v.stream}; columns ${cols}`, ...(what === 'explain' ? { explain: v.explain } : {}) });
    } catch (err) {
      const o = describe(err);
      setOutcome(o);
      if (o.kind === 'error' && o.line !== undefined) select(o.line, o.column ?? 1);
    } finally {
      setBusy(false);
    }
  };

  /** Puts the caret at the error, so the line is in view and typing fixes it. */
  const select = (line: number, column: number) => {
    const el = text.current;
    if (!el) return;
    const before = sql.split('\n').slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    const pos = Math.min(before + column - 1, sql.length);
    el.focus();
    el.setSelectionRange(pos, pos);
  };

  return (
    <section>
      <header class="view-head">
        <h1>SQL</h1>
        <span class="muted">one source stream; windows TUMBLE, HOP, SESSION, CUMULATE</span>
      </header>
      <div class={`editor${errorLine ? ' has-error' : ''}`}>
        <div class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} class={i + 1 === errorLine ? 'error-line' : undefined}>{i + 1}</div>
          ))}
        </div>
        <textarea
          ref={text}
          aria-label="SQL"
          spellcheck={false}
          value={sql}
          rows={Math.max(8, lines + 1)}
          onInput={(e) => {
            setSql(e.currentTarget.value);
            if (outcome?.kind === 'error') setOutcome(undefined);
          }}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
        />
      </div>
      {outcome && (
        <div class={`note ${outcome.kind === 'ok' ? 'note-ok' : 'note-error'}`} role="status" data-testid="sql-outcome">
          {outcome.text}
        </div>
      )}
      {outcome?.kind === 'ok' && outcome.explain && <pre class="sql" data-testid="explain">{outcome.explain}</pre>}
      <div class="toolbar">
        <button type="button" disabled={busy} onClick={() => void run('validate')}>Validate</button>
        <button type="button" disabled={busy} class="secondary" onClick={() => void run('explain')}>Explain</button>
        <span class="spacer" />
        <label class="inline">Name <input value={name} placeholder="optional" onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label class="inline">
          Start{' '}
          <select value={start} onChange={(e) => setStart(e.currentTarget.value)}>
            <option value="earliest">earliest</option>
            <option value="latest">latest</option>
          </select>
        </label>
        <label class="inline">
          Emit{' '}
          <select value={emit} onChange={(e) => setEmit(e.currentTarget.value)}>
            <option value="changes">changes</option>
            <option value="final">final</option>
          </select>
        </label>
        <button type="button" disabled={busy} onClick={() => void run('register')}>Register</button>
      </div>
    </section>
  );
}
