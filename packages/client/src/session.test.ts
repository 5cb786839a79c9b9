/**
 * The session cookie and the refusals made before sending, with the transport replaced by a recorder:
 * how it builds requests, and how it reads refusals. The client against the real server is tested in
 * test/integration/client.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, createClient } from './index.ts';

interface Sent {
  url: string;
  init: RequestInit;
}

function recorder(answer: () => Response) {
  const sent: Sent[] = [];
  const fetch = (async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) => {
    sent.push({ url: String(input), init: init ?? {} });
    return answer();
  }) as typeof globalThis.fetch;
  return { sent, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('@accord/client', () => {
  it('refuses a call without its path parameter before anything is sent', async () => {
    const t = recorder(() => json(200, {}));
    const client = createClient({ baseUrl: 'http://accord.test', token: 't', fetch: t.fetch });
    const err = await client.projects.get({ params: { projectId: '' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 0, code: 'validation_failed', details: [{ path: 'params.projectId', message: 'is required' }] });
    expect(t.sent).toHaveLength(0);
  });

  it('sends the token, encodes path parameters and query values, and omits undefined ones', async () => {
    const t = recorder(() => json(200, { items: [], total: 0, limit: 5, offset: 0 }));
    const client = createClient({ baseUrl: 'http://accord.test/', token: 'acc_secret', fetch: t.fetch });
    await client.projects.list({ query: { q: 'a b&c', limit: 5 } });
    expect(t.sent[0]!.url).toBe('http://accord.test/api/projects?q=a+b%26c&limit=5');
    expect((t.sent[0]!.init.headers as Record<string, string>).authorization).toBe('Bearer acc_secret');
  });

  it('turns an error body into an ApiError with status, code, message and details', async () => {
    const body = { error: { code: 'validation_failed', message: 'body.name: must not be empty', details: [{ path: 'body.name', message: 'must not be empty' }] } };
    const t = recorder(() => json(400, body));
    const client = createClient({ baseUrl: 'http://accord.test', token: 't', fetch: t.fetch });
    const err = await client.projects.create({ body: { name: '', taskKind: 'pairwise' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, code: 'validation_failed', details: body.error.details });
  });

  it('reports a failed connection as network_error and an answer outside the contract as unexpected_response', async () => {
    const down = createClient({ baseUrl: 'http://accord.test', token: 't', fetch: (async () => Promise.reject(new Error('ECONNREFUSED'))) as typeof fetch });
    await expect(down.meta.health()).rejects.toMatchObject({ code: 'network_error' });
    const odd = createClient({ baseUrl: 'http://accord.test', token: 't', fetch: recorder(() => json(200, { nothing: true })).fetch });
    await expect(odd.projects.list()).rejects.toMatchObject({ code: 'unexpected_response' });
  });

  it('keeps the session cookie from sign-in, under either name, and sends its origin on changes', async () => {
    for (const name of ['accord_session', '__Host-accord_session']) {
      const me = { user: { id: '00000000-0000-4000-8000-000000000001', email: 'a@b.c', name: 'A', isAdmin: false, active: true, placeholder: false, createdAt: new Date(0).toISOString() }, memberships: [], via: 'session' };
      let n = 0;
      const t = recorder(() => (n++ === 0 ? json(200, me, { 'set-cookie': `${name}=abc123; Path=/; HttpOnly` }) : json(200, { ok: true })));
      const client = createClient({ baseUrl: 'https://accord.test', fetch: t.fetch });
      await client.auth.login({ body: { email: 'a@b.c', password: 'x' } }).catch(() => undefined);
      await client.auth.logout().catch(() => undefined);
      const headers = t.sent[1]!.init.headers as Record<string, string>;
      expect(headers.cookie).toBe(`${name}=abc123`);
      expect(headers.origin).toBe('https://accord.test');
    }
  });
});
