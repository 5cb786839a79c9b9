import { describe, expect, it } from 'vitest';
import { ApiError, errorFromBody, fieldErrors, messageOf, parseRetryAfter } from './errors.ts';

describe('errorFromBody', () => {
  it('reads the error envelope and its field issues', () => {
    const e = errorFromBody(400, {
      error: {
        code: 'validation_failed',
        message: 'body.email: must be a valid email address',
        details: [{ path: 'body.email', message: 'must be a valid email address' }, { junk: 1 }],
      },
    });
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('validation_failed');
    expect(e.status).toBe(400);
    expect(e.details).toEqual([{ path: 'body.email', message: 'must be a valid email address' }]);
  });

  it('falls back to a readable message for bodies without the envelope', () => {
    const e = errorFromBody(502, '<html>bad gateway</html>');
    expect(e.code).toBe('unknown');
    expect(e.message).toBe('The server is unreachable.');
  });

  it('keeps Retry-After for rate limits', () => {
    const e = errorFromBody(429, { error: { code: 'rate_limited', message: 'Too many attempts.' } }, '30');
    expect(e.retryAfter).toBe(30);
    expect(messageOf(e)).toBe('Too many attempts. Try again in 30 s.');
  });

  it('does not repeat a wait the server already states', () => {
    const e = errorFromBody(429, { error: { code: 'rate_limited', message: 'Too many failed sign-in attempts. Try again in 60 seconds.' } }, '60');
    expect(messageOf(e)).toBe('Too many failed sign-in attempts. Try again in 60 seconds.');
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
