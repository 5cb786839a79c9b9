/**
 * A small HTTP client for tests: one cookie jar, and the Origin header a browser would send. It
 * speaks to a listening server through `fetch`, or to an in-process app through `app.request`
 * (test/utils/app.ts): pass that as `transport`.
 */
export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Raw body; when given, `json` is ignored and no Content-Type is added. */
  raw?: RequestInit["body"];
  /** Send the Origin header (default: on for state-changing methods). */
  origin?: boolean;
  token?: string;
}

/** How a request reaches the server: `fetch` over the network, or Hono's `app.request` in-process. */
export type Transport = (url: string, init: RequestInit) => Response | Promise<Response>;

export class ApiClient {
  cookie: string | null = null;

  constructor(
    readonly base: string,
    readonly transport: Transport = (url, init) => fetch(url, init),
  ) {}

  /** Another client (its own cookie jar, signed out) on the same server and transport. */
  fresh(): ApiClient {
    return new ApiClient(this.base, this.transport);
  }

  async request<T = unknown>(method: string, path: string, json?: unknown, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
    if (opts.origin ?? mutating) headers.origin = this.base;
    if (this.cookie) headers.cookie = `accord_session=${this.cookie}`;
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: RequestInit["body"] | undefined = opts.raw;
    if (body === undefined && json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    }
    Object.assign(headers, opts.headers);
    const res = await this.transport(this.base + path, { method, headers, body, redirect: 'manual' });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('accord_session='));
    if (setCookie) {
      const v = setCookie.split(';')[0]!.slice('accord_session='.length);
      this.cookie = v && !/max-age=0/i.test(setCookie) && !/expires=Thu, 01 Jan 1970/i.test(setCookie) ? v : null;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  get<T = unknown>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, undefined, opts);
  }
  post<T = unknown>(path: string, json?: unknown, opts?: RequestOptions) {
    return this.request<T>('POST', path, json, opts);
  }
  patch<T = unknown>(path: string, json?: unknown, opts?: RequestOptions) {
    return this.request<T>('PATCH', path, json, opts);
  }
  put<T = unknown>(path: string, json?: unknown, opts?: RequestOptions) {
    return this.request<T>('PUT', path, json, opts);
  }
  delete<T = unknown>(path: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', path, undefined, opts);
  }

  async login(email: string, password: string) {
    const r = await this.post('/api/auth/login', { email, password });
    if (r.status !== 200) throw new Error(`login as ${email} failed: ${r.status} ${r.text}`);
    return r;
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}
