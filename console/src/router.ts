// Hash routes: #/streams, #/queries, #/queries/<id>, #/sql.
import { useEffect, useState } from 'preact/hooks';

export type Route = { view: 'streams' } | { view: 'queries' } | { view: 'query'; id: string } | { view: 'sql' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'queries' && parts[1]) return { view: 'query', id: parts[1] };
  if (parts[0] === 'queries') return { view: 'queries' };
  if (parts[0] === 'sql') return { view: 'sql' };
  return { view: 'streams' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

export function navigate(hash: string): void {
  location.hash = hash;
}
