// With auth off, the API answers only to loopback Host names (or ALLOWED_HOSTS): a web page whose
// DNS name is rebound to 127.0.0.1 sends its own name as Host, so it cannot read the API even
// though the browser thinks the requests are same-origin.
import { AppError } from '../errors.js';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** The host name of a Host header, without the port. */
export function hostName(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

export function checkHost(host: string | undefined, allowed: string[]): void {
  const name = hostName(host).toLowerCase();
  if (LOOPBACK.test(name) || allowed.includes(name)) return;
  throw new AppError('SG_ERR_HOST_FORBIDDEN', `Host "${name}" is not served while auth is off: use a loopback address, list it in ALLOWED_HOSTS, or set API_KEYS`);
}

/** Origin allowed for live results: a configured one, else only the page's own origin (same Host). */
export function originAllowed(origin: string, host: string | undefined, allowed: string[]): boolean {
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    return new URL(origin).host.toLowerCase() === (host ?? '').toLowerCase();
  } catch {
    return false;
  }
}
