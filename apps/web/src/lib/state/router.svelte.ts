/**
 * Client-side router on the History API. `router.route` is derived from the current path; links are
 * ordinary `<a href>` elements whose same-app clicks are intercepted (`/api/*` and `rel="external"`
 * stay real links, e.g. the API reference page).
 */
import { matchRoute, type RouteMatch } from '../router/routes.ts';
import { parseQuery, patchSearch, resolveAppLocation, type Query } from '../router/url.ts';

export interface NavigateOptions {
  replace?: boolean;
  /** Keep the scroll position; by default the page scrolls to the top when the path changes. */
  keepScroll?: boolean;
}

export class Router {
  pathname = $state('/');
  search = $state('');
  hash = $state('');

  route: RouteMatch = $derived(matchRoute(this.pathname));
  query: Query = $derived(parseQuery(this.search));

  /** The full in-app location, e.g. for `?next=`. */
  get current(): string {
    return this.pathname + this.search + this.hash;
  }

  #sync = () => {
    this.pathname = location.pathname;
    this.search = location.search;
    this.hash = location.hash;
  };

  navigate(to: string, options: NavigateOptions = {}): void {
    const next = resolveAppLocation(to, location.href);
    if (!next) {
      location.assign(to);
      return;
    }
    const target = next.pathname + next.search + next.hash;
    if (target === this.current) return;
    if (options.replace) history.replaceState(null, '', target);
    else history.pushState(null, '', target);
    const pathChanged = next.pathname !== this.pathname;
    this.#sync();
    const scroll = options.keepScroll === undefined ? pathChanged : !options.keepScroll;
    if (scroll) window.scrollTo(0, 0);
  }

  /** Updates query parameters in place (empty values are removed); replaces history by default. */
  setQuery(patch: Record<string, string | number | null | undefined>, options: NavigateOptions = { replace: true, keepScroll: true }): void {
    this.navigate(this.pathname + patchSearch(this.search, patch) + this.hash, options);
  }

  #onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || !a.hasAttribute('href') || a.hasAttribute('download')) return;
    if (a.target && a.target !== '_self') return;
    if (a.getAttribute('rel')?.split(/\s+/).includes('external')) return;
    const next = resolveAppLocation(a.href, location.href);
    if (!next) return;
    e.preventDefault();
    this.navigate(next.pathname + next.search + next.hash);
  };

  /** Starts listening; returns a function that stops. */
  start(): () => void {
    this.#sync();
    window.addEventListener('popstate', this.#sync);
    document.addEventListener('click', this.#onClick);
    return () => {
      window.removeEventListener('popstate', this.#sync);
      document.removeEventListener('click', this.#onClick);
    };
  }
}

export const router = new Router();
