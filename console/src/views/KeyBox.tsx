// Where the API key is typed; kept in sessionStorage (see key.ts). Empty when auth is off.
import { useState } from 'preact/hooks';
import { setApiKey, useApiKey } from '../key';

export function KeyBox() {
  const key = useApiKey();
  const [draft, setDraft] = useState('');
  if (key) {
    return (
      <div class="keybox">
        <span class="badge badge-running" title="sent as Authorization: Bearer">key set</span>
        <button type="button" class="secondary" onClick={() => setApiKey('')}>Forget key</button>
      </div>
    );
  }
  return (
    <form
      class="keybox"
      onSubmit={(e) => {
        e.preventDefault();
        setApiKey(draft);
        setDraft('');
      }}
    >
      <input type="password" aria-label="API key" placeholder="API key (if auth is on)" autocomplete="off" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
      <button type="submit">Use key</button>
    </form>
  );
}
