/**
 * The app's routes and a pure matcher: `matchRoute('/projects/0b7e…4a5b')` →
 * `{ name: 'project', params: { id: '0b7e…4a5b' } }`. Unknown or malformed paths match `not-found`,
 * and so does an id that is not a UUID (every project, judgment, session and dispute has one): a
 * mistyped address shows the not-found page, not the API's refusal of the id.
 */

const ROUTES = [
  { name: 'home', pattern: '/', public: false },
  { name: 'login', pattern: '/login', public: true },
  { name: 'projects', pattern: '/projects', public: false },
  { name: 'project', pattern: '/projects/:id', public: false },
  { name: 'judge', pattern: '/projects/:id/judge', public: false },
  { name: 'write', pattern: '/projects/:id/write', public: false },
  { name: 'writing-review', pattern: '/projects/:id/writings/:judgmentId', public: false },
  { name: 'qualify', pattern: '/projects/:id/qualify', public: false },
  { name: 'calibration', pattern: '/projects/:id/calibration/:sessionId', public: false },
  { name: 'dispute', pattern: '/projects/:id/disputes/:disputeId', public: false },
  { name: 'account', pattern: '/account', public: false },
  { name: 'admin-users', pattern: '/admin/users', public: false },
  { name: 'admin-models', pattern: '/admin/models', public: false },
] as const;

export type RouteName = (typeof ROUTES)[number]['name'] | 'not-found';

export interface RouteMatch {
  name: RouteName;
  params: Record<string, string>;
  /** Public routes render without a session (the login page and the 404 page). */
  public: boolean;
}

/** Every route parameter is an entity's id. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchPattern(pattern: string, pathname: string): Record<string, string> | null {
  const want = splitPath(pattern);
  const got = splitPath(pathname);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(g);
      } catch {
        return null;
      }
      if (!UUID.test(value)) return null;
      params[w.slice(1)] = value;
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

export function matchRoute(pathname: string): RouteMatch {
  // Empty segments (`//`) are not part of any route; treat them as unknown rather than collapsing.
  if (!pathname.startsWith('/') || /\/\/./.test(pathname)) return { name: 'not-found', params: {}, public: true };
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, pathname);
    if (params) return { name: route.name, params, public: route.public };
  }
  return { name: 'not-found', params: {}, public: true };
}

/** Builds a path from a pattern, encoding params: `pathFor('/projects/:id', { id })`. */
export function pathFor(pattern: string, params: Record<string, string> = {}): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_, key: string) => encodeURIComponent(params[key] ?? ''));
}
