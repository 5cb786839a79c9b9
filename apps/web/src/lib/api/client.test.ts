import { describe, expect, it, vi } from 'vitest';
import { MeSchema, OkSchema } from '@accord/core';
import { ApiClient, buildQuery } from './client.ts';
import { ApiError } from './errors.ts';

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

describe('ApiClient', () => {
  it('sends same-origin credentials and JSON, and parses with the schema', async () => {
    const fetch = vi.fn(async () => jsonResponse(200, { ok: true }));
    const api = new ApiClient({ fetch });
    await expect(api.post('/auth/logout', OkSchema)).resolves.toEqual({ ok: true });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/auth/logout');
    expect(init.credentials).toBe('same-origin');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('turns error envelopes into ApiError with field details', async () => {
    const fetch = vi.fn(async () =>
      jsonResponse(400, { error: { code: 'validation_failed', message: 'invalid', details: [{ path: 'body.email', message: 'bad' }] } }),
    );
    const api = new ApiClient({ fetch });
    const err = await api.post('/users', OkSchema, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).details).toEqual([{ path: 'body.email', message: 'bad' }]);
  });

  it('rejects answers that do not match the schema', async () => {
    const api = new ApiClient({ fetch: async () => jsonResponse(200, { user: 'nope' }) });
    await expect(api.get('/auth/me', MeSchema)).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('reports 401s, except from login and the session probe', async () => {
    const onUnauthenticated = vi.fn();
    const api = new ApiClient({
      fetch: async () => jsonResponse(401, { error: { code: 'unauthenticated', message: 'Sign in' } }),
      onUnauthenticated,
    });
    await api.get('/auth/me', MeSchema).catch(() => {});
    await api.post('/auth/login', MeSchema, {}).catch(() => {});
    expect(onUnauthenticated).not.toHaveBeenCalled();
    await api.get('/projects', OkSchema).catch(() => {});
    expect(onUnauthenticated).toHaveBeenCalledOnce();
  });

  it('maps network failures to a readable error', async () => {
    const api = new ApiClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(api.get('/health', OkSchema)).rejects.toMatchObject({ code: 'network_error', status: 0 });
  });
});

describe('buildQuery', () => {
  it('skips empty values', () => {
    expect(buildQuery({ q: 'a b', status: undefined, limit: 20, empty: '' })).toBe('?q=a+b&limit=20');
    expect(buildQuery({})).toBe('');
  });
});
