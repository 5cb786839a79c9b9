import { describe, expect, it } from 'vitest';
import { ApiError, fieldErrors, messageOf, parseRetryAfter, readableError } from './errors.ts';
import { createWebApi } from './index.ts';

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  const json = typeof body !== 'string';
  return createWebApi({
    fetch: async () => new Response(json ? JSON.stringify(body) : body, { status, headers: { 'Content-Type': json ? 'application/json' : 'text/html', ...headers } }),
  });
}

async function failure(status: number, body: unknown, headers: Record<string, string> = {}): Promise<ApiError> {
  const e: unknown = await answer(status, body, headers)
    .users.create({ body: { email: 'a@b.c', name: 'A', password: 'long enough password' } })
    .catch((err: unknown) => err);
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

describe('API errors', () => {
  it('reads the error envelope and its field issues', async () => {
    const e = await failure(400, {
      error: {
        code: 'validation_failed',
        message: 'body.email: must be a valid email address',
        details: [{ path: 'body.email', message: 'must be a valid email address' }, { junk: 1 }],
      },
    });
    expect(e.code).toBe('validation_failed');
    expect(e.status).toBe(400);
    expect(e.details).toEqual([{ path: 'body.email', message: 'must be a valid email address' }]);
  });

  it('falls back to a readable message for bodies without the envelope', async () => {
    const e = await failure(502, '<html>bad gateway</html>');
    expect(e.code).toBe('unexpected_response');
    expect(e.message).toBe('The server is unreachable.');
  });

  it('keeps Retry-After for rate limits', async () => {
    const e = await failure(429, { error: { code: 'rate_limited', message: 'Too many attempts.' } }, { 'Retry-After': '30' });
    expect(e.retryAfter).toBe(30);
    expect(messageOf(e)).toBe('Too many attempts. Try again in 30 s.');
  });

  it('does not repeat a wait the server already states', async () => {
    const e = await failure(429, { error: { code: 'rate_limited', message: 'Too many failed sign-in attempts. Try again in 60 seconds.' } }, { 'Retry-After': '60' });
    expect(messageOf(e)).toBe('Too many failed sign-in attempts. Try again in 60 seconds.');
  });

  it('names the request id of a server failure once', async () => {
    const e = await failure(500, { error: { code: 'internal', message: 'Something broke.' } }, { 'X-Request-Id': 'req-42' });
    expect(e.requestId).toBe('req-42');
    expect(messageOf(e)).toBe('Something broke. (request id req-42)');
    const stated = await failure(500, { error: { code: 'internal', message: 'Internal error (request id req-43).' } }, { 'X-Request-Id': 'req-43' });
    expect(messageOf(stated)).toBe('Internal error (request id req-43).');
    const refused = await failure(409, { error: { code: 'conflict', message: 'Taken.' } }, { 'X-Request-Id': 'req-44' });
    expect(messageOf(refused)).toBe('Taken.');
  });

  it('reports an answer of another shape without field details', async () => {
    const e = await failure(201, { id: 42 });
    expect(e.code).toBe('unexpected_response');
    expect(e.details).toEqual([]);
    expect(e.message).toMatch(/^The server sent an unexpected answer \(response\.\w+: /);
  });

  it('keeps the message of an envelope whose code this build does not know', () => {
    const e = new ApiError(418, 'unexpected_response', 'A newer server refuses this.');
    expect(readableError(e)).toBe(e);
  });
});

describe('fieldErrors', () => {
  it('strips the body prefix and keeps the first message per field', () => {
    expect(
      fieldErrors([
        { path: 'body.email', message: 'first' },
        { path: 'body.email', message: 'second' },
        { path: 'body.members.0.role', message: 'bad role' },
        { path: 'body', message: 'must set at least one field' },
        { path: 'query.limit', message: 'too big' },
      ]),
    ).toEqual({ email: 'first', 'members.0.role': 'bad role', '': 'must set at least one field', 'query.limit': 'too big' });
  });
});

describe('parseRetryAfter', () => {
  it('accepts seconds and HTTP dates', () => {
    expect(parseRetryAfter('12')).toBe(12);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:10 GMT', Date.parse('2025-06-01T12:00:00Z'))).toBe(10);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
