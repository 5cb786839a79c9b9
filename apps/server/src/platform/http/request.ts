import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import type { Env } from '../../env.ts';

/** The session cookie over plain http (development, tests). */
export const SESSION_COOKIE = 'accord_session';
/** Over https the `__Host-` prefix: the browser keeps it only if Secure, Path=/ and without Domain, so no subdomain or plain-http page can plant or shadow it. */
export const SECURE_SESSION_COOKIE = '__Host-accord_session';
export const DEVICE_COOKIE = 'accord_device';
export const SECURE_DEVICE_COOKIE = '__Host-accord_device';

export const sessionCookieName = (https: boolean) => (https ? SECURE_SESSION_COOKIE : SESSION_COOKIE);
export const deviceCookieName = (https: boolean) => (https ? SECURE_DEVICE_COOKIE : DEVICE_COOKIE);

/** The client's address: the TCP peer, unless a trusted proxy is configured to report it. */
export function clientAddress(c: Context, env: Env): string {
  if (env.ACCORD_TRUST_PROXY) {
    const xff = c.req.header('x-forwarded-for');
    const first = xff?.split(',')[0]?.trim();
    if (first) return first;
  }
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

export function isHttps(c: Context, env: Env): boolean {
  if (env.ACCORD_TRUST_PROXY && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https') return true;
  return new URL(c.req.url).protocol === 'https:';
}

/** The origin this request was addressed to, as the browser sees it. */
export function ownOrigin(c: Context, env: Env): string {
  const url = new URL(c.req.url);
  if (env.ACCORD_TRUST_PROXY) {
    const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
    const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
    if (proto) url.protocol = `${proto}:`;
    if (host) url.host = host;
  }
  return url.origin;
}

/**
 * Same-origin check for state-changing requests. Origin must be present and ours (or configured);
 * `null` and foreign origins are refused. Without Origin, Sec-Fetch-Site must say same-origin.
 */
export function originAllowed(origin: string | undefined, secFetchSite: string | undefined, own: string, extra: readonly string[]): boolean {
  if (origin === undefined || origin === '') return secFetchSite === 'same-origin';
  if (origin === 'null') return false;
  return origin === own || extra.includes(origin);
}
