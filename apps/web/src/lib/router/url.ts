/** URL helpers for the router, kept out of the reactive class so they stay plain and testable. */

export interface Location {
  pathname: string;
  search: string;
  hash: string;
}

/** A read-only view of a query string. */
export interface Query {
  get(name: string): string | null;
  has(name: string): boolean;
}

export function parseQuery(search: string): Query {
  const params = new URLSearchParams(search);
  return { get: (n) => params.get(n), has: (n) => params.has(n) };
}

/** Only same-origin, non-API paths are handled by the SPA; everything else is a full page load. */
function isAppUrl(url: URL, origin: string): boolean {
  return url.origin === origin && url.pathname !== '/api' && !url.pathname.startsWith('/api/');
}

/** Resolves `to` against `base`; returns the in-app location, or null if it leaves the app. */
export function resolveAppLocation(to: string, base: string): Location | null {
  let url: URL;
  try {
    url = new URL(to, base);
  } catch {
    return null;
  }
  if (!isAppUrl(url, new URL(base).origin)) return null;
  return { pathname: url.pathname, search: url.search, hash: url.hash };
}

/** `search` with `patch` applied; null, undefined and '' remove a key. Returns `?a=b` or ''. */
export function patchSearch(search: string, patch: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams(search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === '') params.delete(k);
    else params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}
