// A coloured label for a status (running, catching_up, paused, failed, live, …).
export function Badge({ status, title }: { status: string; title?: string }) {
  return (
    <span class={`badge badge-${status}`} title={title}>
      {status.replace('_', ' ')}
    </span>
  );
}
