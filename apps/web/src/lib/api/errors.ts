/**
 * The client side of the API's error contract: `{ error: { code, message, details? } }`.
 * Validation errors carry `details: [{ path: 'body.email', message }]`; `fieldErrors` turns those
 * into a per-field map that forms show next to their inputs.
 */
import type { FieldIssue } from '@accord/core';

export class ApiError extends Error {
  readonly status: number;
  /** The server's error code (`validation_failed`, `forbidden`, ...) or `network_error` / `bad_response`. */
  readonly code: string;
  /** Field issues for validation errors; empty otherwise. */
  readonly details: FieldIssue[];
  /** Seconds to wait, from Retry-After on 429 answers. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, details: FieldIssue[] = [], retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keeps only well-formed `{ path, message }` entries; anything else in `details` is ignored. */
function toFieldIssues(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  const out: FieldIssue[] = [];
  for (const d of details) {
    if (isRecord(d) && typeof d.path === 'string' && typeof d.message === 'string') out.push({ path: d.path, message: d.message });
  }
  return out;
}

/** Parses Retry-After (delta-seconds or HTTP date) into whole seconds. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

const STATUS_MESSAGES: Record<number, string> = {
  400: 'The request was not valid.',
  401: 'Please sign in again.',
  403: 'You do not have access to this.',
  404: 'Not found.',
  409: 'That conflicts with the current state. Reload and try again.',
  413: 'That is too large.',
  429: 'Too many requests. Please wait a moment.',
  500: 'Something went wrong on the server.',
  502: 'The server is unreachable.',
  503: 'The server is unavailable right now.',
};

/** Builds an ApiError from a non-2xx answer, whatever its body looks like. */
export function errorFromBody(status: number, body: unknown, retryAfterHeader: string | null = null): ApiError {
  const retryAfter = parseRetryAfter(retryAfterHeader);
  const fallback = STATUS_MESSAGES[status] ?? `Request failed (${status}).`;
  if (isRecord(body) && isRecord(body.error)) {
    const { code, message, details } = body.error;
    return new ApiError(
      status,
      typeof code === 'string' ? code : 'unknown',
      typeof message === 'string' && message ? message : fallback,
      toFieldIssues(details),
      retryAfter,
    );
  }
  return new ApiError(status, status === 429 ? 'rate_limited' : 'unknown', fallback, [], retryAfter);
}

/**
 * Maps issues to form fields: `body.email` → `email`, `body.members.0.email` → `members.0.email`.
 * The first message per field wins. Issues that name no field (or the whole body) go under `''`.
 */
export function fieldErrors(issues: readonly FieldIssue[], prefix = 'body'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues) {
    let path = issue.path;
    if (path === prefix || path === '(root)') path = '';
    else if (path.startsWith(prefix + '.')) path = path.slice(prefix.length + 1);
    if (!(path in out)) out[path] = issue.message;
  }
  return out;
}

/** A sentence to show the user for any thrown value. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'rate_limited' && e.retryAfter && !/try again/i.test(e.message)) return `${e.message} Try again in ${e.retryAfter} s.`;
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}
