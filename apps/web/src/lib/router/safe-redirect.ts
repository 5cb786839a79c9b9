/**
 * Where to go after signing in. `next` comes from the query string, so anyone can craft it: only a
 * path inside this app is accepted, never another origin (`//evil`, `/\evil`, `https://…`,
 * `javascript:`), and never the login page itself. The check is made on the normalised result as
 * well as on the input: dot segments (`/..//evil`, `/%2e%2e//evil`) can normalise to a
 * protocol-relative path, and encoded slashes (`%2f`, `%5c`) may be decoded by whoever reads it next.
 */
const DEFAULT_AFTER_LOGIN = '/projects';

const pageOrigin = (): string => (typeof location !== 'undefined' && location.origin.startsWith('http') ? location.origin : 'http://accord.invalid');

/** A normalised path that a browser or router could read as another host. */
const leavesOrigin = (path: string) => !path.startsWith('/') || path.startsWith('//') || /[\\]|%2f|%5c/i.test(path);

export function safeNext(next: string | null | undefined, fallback = DEFAULT_AFTER_LOGIN, origin = pageOrigin()): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return fallback;
  // Exactly one leading slash, followed by something that is not a slash or a backslash.
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  // Browsers treat `\` as `/` and strip tabs/newlines, which can turn `/\t/evil` into `//evil`.
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(origin).origin || leavesOrigin(url.pathname)) return fallback;
  if (url.pathname === '/login' || url.pathname.startsWith('/api/')) return fallback;
  const path = url.pathname + url.search + url.hash;
  // Following the result must land on the same URL again (no second normalisation step left).
  const again = new URL(path, origin);
  if (again.href !== url.href) return fallback;
  return path;
}

/** The login URL that brings the user back to `current` afterwards. */
export function loginUrl(current: string): string {
  const next = safeNext(current, '');
  return next && next !== DEFAULT_AFTER_LOGIN && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}
