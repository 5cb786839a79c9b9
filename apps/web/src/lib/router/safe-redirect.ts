/**
 * Where to go after signing in. `next` comes from the query string, so anyone can craft it: only a
 * path inside this app is accepted, never another origin (`//evil`, `/\evil`, `https://…`,
 * `javascript:`), and never the login page itself.
 */
export const DEFAULT_AFTER_LOGIN = '/projects';

export function safeNext(next: string | null | undefined, fallback = DEFAULT_AFTER_LOGIN): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return fallback;
  // Exactly one leading slash, followed by something that is not a slash or a backslash.
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  // Browsers treat `\` as `/` and strip tabs/newlines, which can turn `/\t/evil` into `//evil`.
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, 'http://accord.invalid');
  } catch {
    return fallback;
  }
  if (url.origin !== 'http://accord.invalid') return fallback;
  if (url.pathname === '/login' || url.pathname.startsWith('/api/')) return fallback;
  return url.pathname + url.search + url.hash;
}

/** The login URL that brings the user back to `current` afterwards. */
export function loginUrl(current: string): string {
  const next = safeNext(current, '');
  return next && next !== DEFAULT_AFTER_LOGIN && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}
