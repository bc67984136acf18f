// The API key lives in sessionStorage only: it goes with this tab and is never put in a URL.
import { useEffect, useState } from 'preact/hooks';

const STORAGE = 'streamgate.apiKey';
const listeners = new Set<(key: string) => void>();

export function apiKey(): string {
  return sessionStorage.getItem(STORAGE) ?? '';
}

export function setApiKey(key: string): void {
  const trimmed = key.trim();
  if (trimmed) sessionStorage.setItem(STORAGE, trimmed);
  else sessionStorage.removeItem(STORAGE);
  for (const l of listeners) l(trimmed);
}

/** The current key; views re-render (and re-fetch) when it changes. */
export function useApiKey(): string {
  const [key, setKey] = useState(apiKey);
  useEffect(() => {
    listeners.add(setKey);
    return () => void listeners.delete(setKey);
  }, []);
  return key;
}
