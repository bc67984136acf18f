// A failed API call, worded for the person at the console (a 401 asks for a key).
import { ApiError } from '../api';

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const needsKey = error instanceof ApiError && error.status === 401;
  return (
    <div class="note note-error" role="alert">
      {needsKey ? 'This gateway needs an API key: enter one at the top right.' : error.message}
      {error instanceof ApiError && <span class="muted"> ({error.code})</span>}
    </div>
  );
}
