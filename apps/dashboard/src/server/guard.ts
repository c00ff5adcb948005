/**
 * Which requests come from the dashboard's own pages.
 *
 * - **Host** (DNS rebinding): a page of another site that rebinds its own name to the
 *   dashboard's address becomes same-origin with it, but its requests still carry that name in
 *   `Host`. Only names that cannot be rebound by someone else are accepted: IP literals,
 *   `localhost`, and ORIGIN's host name.
 * - **Origin** (CSRF and cross-site WebSocket hijacking): the session cookie is SameSite=Strict,
 *   but "site" ignores ports and subdomains, so another app on 127.0.0.1 would still send it.
 *   Every POST and every WebSocket upgrade must come from the dashboard's own origin, which
 *   browsers always state in `Origin` for those requests.
 */
import { isIP } from 'node:net';

/** The host name (no port, no brackets) of a Host header value; null when it does not parse. */
export function hostNameOf(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  try {
    const url = new URL(`http://${hostHeader}`);
    // A Host header is host[:port]; anything more (credentials, a path) is not one.
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
    return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return null;
  }
}

/** Whether the request names a host this dashboard answers for (see the module comment). */
export function isAllowedHost(hostHeader: string | undefined, origin: URL | null): boolean {
  const name = hostNameOf(hostHeader);
  if (name === null) return false;
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return origin !== null && name === origin.hostname.toLowerCase();
}

export const HOST_REFUSED_MESSAGE = (hostHeader: string | undefined) =>
  `this dashboard does not answer for the host name "${hostHeader ?? ''}": open it by IP address or localhost, or set ORIGIN to its public URL (e.g. ORIGIN=https://${hostNameOf(hostHeader) ?? 'dashboard.example.com'})`;

/**
 * The dashboard's own origin for a request: ORIGIN when set, otherwise the request's Host over
 * http (or https on a TLS socket).
 */
export function ownOrigin(
  hostHeader: string | undefined,
  origin: URL | null,
  encrypted: boolean,
): string | null {
  if (origin) return origin.origin;
  if (!hostHeader) return null;
  try {
    return new URL(`${encrypted ? 'https' : 'http'}://${hostHeader}`).origin;
  } catch {
    return null;
  }
}

/** Whether the request's Origin header is the dashboard's own origin (absent counts as foreign). */
export function isOwnOrigin(
  originHeader: string | undefined,
  hostHeader: string | undefined,
  origin: URL | null,
  encrypted: boolean,
): boolean {
  const own = ownOrigin(hostHeader, origin, encrypted);
  if (!originHeader || !own || originHeader === 'null') return false;
  try {
    return new URL(originHeader).origin === own;
  } catch {
    return false;
  }
}

export const ORIGIN_REFUSED_MESSAGE =
  'refused: this request comes from another origin than the dashboard (or states none); use the dashboard itself, or set ORIGIN to the URL people open it at';
