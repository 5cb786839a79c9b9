/**
 * The web side of the API's error contract. Failures are `@accord/client`'s `ApiError { status,
 * code, message, details: {path, message}[], retryAfter, requestId }`; `readableError` turns the
 * client's technical messages (an answer that is not the API's, a lost connection) into sentences for
 * the user, `fieldErrors` maps validation details onto form fields and `messageOf` is what a toast says.
 */
import { ApiError } from '@accord/client';
import type { FieldIssue } from '@accord/core';

export { ApiError, parseRetryAfter } from '@accord/client';

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

export const OFFLINE_MESSAGE = 'Cannot reach the server. Check your connection and try again.';

/**
 * The client's errors as the user should read them: a lost connection, an error page from a proxy
 * (no API envelope: a readable message by status) or a 2xx answer of another shape (its first issue,
 * but no field details, so no form mistakes it for a validation error). API errors pass unchanged.
 */
export function readableError(e: unknown): unknown {
  if (!(e instanceof ApiError)) return e;
  const more = { retryAfter: e.retryAfter, requestId: e.requestId };
  if (e.code === 'network_error') return new ApiError(0, 'network_error', OFFLINE_MESSAGE, [], more);
  if (e.code !== 'unexpected_response') return e;
  if (e.status >= 200 && e.status <= 299) {
    const first = e.details[0];
    const where = first ? `${first.path}: ${first.message}` : 'unexpected shape';
    return new ApiError(e.status, 'unexpected_response', `The server sent an unexpected answer (${where}).`, [], more);
  }
  // An API envelope with a code this build does not know keeps its own message.
  if (!/^[a-z]+\.[A-Za-z]+: (HTTP \d{3}|the answer is not valid JSON)/.test(e.message)) return e;
  return new ApiError(e.status, e.status === 429 ? 'rate_limited' : 'unexpected_response', STATUS_MESSAGES[e.status] ?? `Request failed (${e.status}).`, [], more);
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

/** A sentence to show the user for any thrown value; server failures name their request id. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) {
    let message = e.message;
    if (e.code === 'rate_limited' && e.retryAfter && !/try again/i.test(message)) message = `${message} Try again in ${e.retryAfter} s.`;
    if (e.status >= 500 && e.requestId && !message.includes(e.requestId)) message = `${message} (request id ${e.requestId})`;
    return message;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}
