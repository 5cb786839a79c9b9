/**
 * A typed client for the Accord API, derived from the route contracts of `@accord/core`: one method
 * per contract (`client.projects.list({ query })`), inputs typed from the contract's schemas,
 * responses parsed with its response schema, and every error thrown as an `ApiError`.
 */
import type { z } from 'zod';
import { contracts, ERROR_STATUS, ErrorBodySchema, type BodyOf, type Contract, type ContractDef, type Contracts, type ErrorCode, type FieldIssue, type ParamsOf, type QueryOf, type ResponseOf } from '@accord/core';

/** A file sent as the raw request body (imports): text, bytes, a Blob or a stream (e.g. `fs.createReadStream`). */
export type RawBody = string | Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** The `code` of an error the client raises itself, when the answer is not the API's. */
export type ClientErrorCode = 'unexpected_response' | 'network_error';

/** An error answered by the API (`{ error: { code, message, details? } }`), or an answer the client could not read. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | ClientErrorCode;
  /** For `validation_failed` and some conflicts: the fields at fault, e.g. `{ path: 'body.email', message }`; empty otherwise. */
  readonly details: FieldIssue[];
  /** Seconds to wait before trying again, from `Retry-After` (429, 503); null when the answer gave none. */
  readonly retryAfter: number | null;
  /** The server's `X-Request-Id` of the failed request (quote it when reporting a problem); null when absent. */
  readonly requestId: string | null;

  constructor(status: number, code: ErrorCode | ClientErrorCode, message: string, details: FieldIssue[] = [], more: { retryAfter?: number | null; requestId?: string | null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = more.retryAfter ?? null;
    this.requestId = more.requestId ?? null;
  }
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into whole seconds. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** No required keys: the input may be left out. */
type Empty = Record<never, never>;

type Optional<T, K extends string> = Empty extends T ? { [P in K]?: T } : { [P in K]: T };

/** What a call takes: the params, query and body its contract declares (before the server parses them). */
export type CallInput<C extends ContractDef> = (C['params'] extends z.ZodType ? { params: ParamsOf<C, 'in'> } : unknown) &
  (C['query'] extends z.ZodType ? Optional<QueryOf<C, 'in'>, 'query'> : unknown) &
  (C['body'] extends z.ZodType ? Optional<BodyOf<C, 'in'>, 'body'> : C['rawBody'] extends object ? { body: RawBody } : unknown) & {
    signal?: AbortSignal;
  };

export type CallMethod<C extends ContractDef> = Empty extends CallInput<C>
  ? (input?: CallInput<C>) => Promise<ResponseOf<C>>
  : (input: CallInput<C>) => Promise<ResponseOf<C>>;

export type AccordClient = { readonly [D in keyof Contracts]: { readonly [N in keyof Contracts[D]]: Contracts[D][N] extends ContractDef ? CallMethod<Contracts[D][N]> : never } };

export interface ClientOptions {
  /** Where Accord runs, e.g. `http://localhost:3000` (or `''` for the page's own origin in a browser). */
  baseUrl: string;
  /** A personal API token (Account page); without one, the session cookie is used. */
  token?: string;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
  /** `credentials` of every request, e.g. `'same-origin'` for a web app served by Accord itself. */
  credentials?: RequestInit['credentials'];
}

const SAFE = new Set(['get', 'head', 'options']);
// The session cookie's name: `__Host-accord_session` over https, `accord_session` over plain http.
const SESSION_COOKIE = /^((?:__Host-)?accord_session)=([^;]*)/;

function toStream(body: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
}

function rawBody(body: RawBody): NonNullable<RequestInit['body']> {
  if (typeof body === 'string' || body instanceof ArrayBuffer || body instanceof Blob || body instanceof ReadableStream) return body;
  if (body instanceof Uint8Array) return body as Uint8Array<ArrayBuffer>;
  return toStream(body);
}

function queryString(query: Record<string, unknown> | undefined): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, one instanceof Date ? one.toISOString() : String(one));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The untyped shape of any call's input. */
type CallArgs = { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal };

/** The contract's path with its parameters filled in; a missing one throws `validation_failed` (status 0). */
export function pathOf(c: Contract, params: Record<string, unknown> | undefined): string {
  return c.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    const v = params?.[name];
    if (v === undefined || v === null || v === '') throw new ApiError(0, 'validation_failed', `${c.id}: params.${name} is required`, [{ path: `params.${name}`, message: 'is required' }]);
    return encodeURIComponent(String(v));
  });
}

/** The path and query string of a call, for callers that send it with their own transport (e.g. XHR for upload progress). */
export function urlOf<C extends Contract>(c: C, input: { params?: object; query?: object }): string {
  return pathOf(c, input.params as Record<string, unknown> | undefined) + queryString(input.query as Record<string, unknown> | undefined);
}

/** An HTTP answer, whatever carried it. */
export interface RawAnswer {
  status: number;
  text: string;
  header(name: string): string | null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An error envelope that does not quite fit the schema (a code this client does not know, a malformed
 * detail): its message and well-formed details are still worth more than "unexpected response".
 */
function looseError(json: unknown): { code: ErrorCode | ClientErrorCode; message: string; details: FieldIssue[] } | null {
  if (!isRecord(json) || !isRecord(json.error) || typeof json.error.message !== 'string' || !json.error.message) return null;
  const { code, message, details } = json.error;
  const known = typeof code === 'string' && Object.hasOwn(ERROR_STATUS, code);
  const issues = Array.isArray(details)
    ? details.filter((d): d is FieldIssue => isRecord(d) && typeof d.path === 'string' && typeof d.message === 'string').map((d) => ({ path: d.path, message: d.message }))
    : [];
  return { code: known ? (code as ErrorCode) : 'unexpected_response', message, details: issues };
}

/**
 * Reads an answer to a call of `c`: the parsed response on success; otherwise throws `ApiError` with
 * the API's code, message and field details (or `unexpected_response`), `Retry-After` and the request id.
 */
export function readAnswer<C extends Contract>(c: C, answer: RawAnswer): ResponseOf<C> {
  const { status, text } = answer;
  const more = { retryAfter: parseRetryAfter(answer.header('retry-after')), requestId: answer.header('x-request-id') };
  let json: unknown = undefined;
  // A downloaded file (JSONL is `application/x-ndjson`) is not one JSON document; its errors are.
  const file = c.download !== undefined && status >= 200 && status <= 299;
  if (!file && /json/i.test(answer.header('content-type') ?? '')) {
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(status, 'unexpected_response', `${c.id}: the answer is not valid JSON (HTTP ${status})`, [], more);
    }
  }
  if (status < 200 || status > 299) {
    const err = ErrorBodySchema.safeParse(json);
    if (err.success) throw new ApiError(status, err.data.error.code, err.data.error.message, err.data.error.details ?? [], more);
    const loose = looseError(json);
    if (loose) throw new ApiError(status, loose.code, loose.message, loose.details, more);
    throw new ApiError(status, 'unexpected_response', `${c.id}: HTTP ${status} ${text.slice(0, 200)}`, [], more);
  }
  // A download (`c.download`) is answered as its text: JSONL and CSV read as such; binary formats need the raw response.
  const parsed = c.response.safeParse(c.produces === 'text/html' || c.download ? text : json);
  if (!parsed.success)
    throw new ApiError(
      status,
      'unexpected_response',
      `${c.id}: the answer does not fit the contract (is the server another version?)`,
      parsed.error.issues.map((i) => ({ path: ['response', ...i.path.map(String)].join('.'), message: i.message })),
      more,
    );
  return parsed.data as ResponseOf<C>;
}

export function createClient(options: ClientOptions): AccordClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: Parameters<typeof fetch>[0], init?: RequestInit) => globalThis.fetch(input, init));
  // Outside a browser there is no cookie jar and no automatic Origin: the client keeps the session
  // cookie it was given at sign-in and sends its own origin, as the server's CSRF check expects.
  const origin = /^https?:\/\//i.test(baseUrl) ? new URL(baseUrl).origin : null;
  let session: { name: string; value: string } | null = null;

  async function call(c: Contract, input: CallArgs = {}): Promise<unknown> {
    const path = pathOf(c, input.params);
    const headers: Record<string, string> = { accept: c.download ? '*/*' : (c.produces ?? 'application/json') };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    else {
      if (session) headers.cookie = `${session.name}=${session.value}`;
      if (origin && !SAFE.has(c.method)) headers.origin = origin;
    }
    const init: RequestInit & { duplex?: 'half' } = { method: c.method.toUpperCase(), headers, signal: input.signal };
    if (c.rawBody) {
      if (input.body === undefined) throw new ApiError(0, 'validation_failed', `${c.id}: body (the file) is required`, [{ path: 'body', message: 'is required' }]);
      init.body = rawBody(input.body as RawBody);
      headers['content-type'] = c.rawBody.contentTypes.at(-1) ?? 'application/octet-stream';
      if (init.body instanceof ReadableStream) init.duplex = 'half';
    } else if (c.body) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(input.body ?? {});
    }

    if (options.credentials) init.credentials = options.credentials;

    let res: Response;
    try {
      res = await doFetch(`${baseUrl}${path}${queryString(input.query)}`, init);
    } catch (e) {
      // A call the caller cancelled rejects with the abort reason itself, not as a network failure.
      if (input.signal?.aborted) throw e;
      throw new ApiError(0, 'network_error', `${c.id}: ${(e as Error).message}`);
    }
    const set = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie().find((h) => SESSION_COOKIE.test(h)) : undefined;
    const m = set ? SESSION_COOKIE.exec(set) : null;
    if (set && m) session = m[2] && !/max-age=0|expires=Thu, 01 Jan 1970/i.test(set) ? { name: m[1]!, value: m[2] } : null;
    return readAnswer(c, { status: res.status, text: await res.text(), header: (name) => res.headers.get(name) });
  }

  return Object.fromEntries(
    Object.entries(contracts).map(([domain, defs]) => [
      domain,
      Object.fromEntries(Object.entries(defs as Record<string, Contract>).map(([name, c]) => [name, (input?: Parameters<typeof call>[1]) => call(c, input)])),
    ]),
  ) as unknown as AccordClient;
}
