/**
 * Typed fetch client for the Accord REST API. Every successful body is parsed with a zod schema from
 * `@accord/core`, so the UI only ever sees data of the documented shape; every failure becomes an
 * `ApiError`. The session cookie is HttpOnly, so requests send `credentials: 'same-origin'`.
 */
import { ApiError, errorFromBody } from './errors.ts';

/** The part of a zod schema this client needs (keeps `zod` out of the web app's own imports). */
export interface Schema<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Called on any 401 except from the login call itself, e.g. to send the user back to /login. */
  onUnauthenticated?: () => void;
}

export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;
  onUnauthenticated: (() => void) | undefined;

  constructor(options: ApiClientOptions = {}) {
    this.#baseUrl = options.baseUrl ?? '/api';
    this.#fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.onUnauthenticated = options.onUnauthenticated;
  }

  async request<T>(method: string, path: string, schema: Schema<T>, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin', signal: options.signal };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    let res: Response;
    try {
      res = await this.#fetch(this.#baseUrl + path + buildQuery(options.query), init);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.');
    }
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!res.ok) {
      const err = errorFromBody(res.status, body, res.headers.get('Retry-After'));
      if (res.status === 401 && path !== '/auth/login' && path !== '/auth/me') this.onUnauthenticated?.();
      throw err;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first ? `${first.path.map(String).join('.') || '(root)'}: ${first.message}` : 'unexpected shape';
      throw new ApiError(res.status, 'bad_response', `The server sent an unexpected answer (${where}).`);
    }
    return parsed.data;
  }

  get<T>(path: string, schema: Schema<T>, options?: RequestOptions) {
    return this.request('GET', path, schema, options);
  }
  post<T>(path: string, schema: Schema<T>, body?: unknown, options?: RequestOptions) {
    return this.request('POST', path, schema, { ...options, body: body ?? {} });
  }
  patch<T>(path: string, schema: Schema<T>, body: unknown, options?: RequestOptions) {
    return this.request('PATCH', path, schema, { ...options, body });
  }
  delete<T>(path: string, schema: Schema<T>, options?: RequestOptions) {
    return this.request('DELETE', path, schema, options);
  }
}
