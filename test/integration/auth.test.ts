import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, like } from 'drizzle-orm';
import { loginAttempts, users } from '@accord/db';
import { testDatabaseKinds } from '@accord/db/testing';
import { KDF, parseHashParams } from '@accord/server';
import { ApiClient, type ErrorBody } from '../utils/client.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';

const kinds = await testDatabaseKinds();

describe.each(kinds)('accounts and sessions (%s)', (kind) => {
  let t: TestServer;
  let admin: ApiClient;
  beforeAll(async () => {
    t = await createTestServer(kind);
    admin = await t.as('admin');
  });
  afterAll(() => t?.close());

  async function newUser(password = 'correct horse battery staple', extra: Record<string, unknown> = {}) {
    const email = `u${Math.random().toString(36).slice(2, 10)}@example.com`;
    const r = await admin.post<{ id: string }>('/api/users', { email, name: 'Test User', password, ...extra });
    expect(r.status).toBe(201);
    return { email, password, id: r.body.id };
  }

  it('signs in with a demo login and sets an HttpOnly, SameSite=Lax session cookie', async () => {
    const c = new ApiClient(t.url);
    const lead = t.logins.find((l) => l.role === 'lead')!;
    const r = await c.post<{ user: { email: string }; memberships: { role: string }[] }>('/api/auth/login', { email: lead.email, password: lead.password });
    expect(r.status).toBe(200);
    expect(r.body.user.email).toBe('lead@accord.local');
    // The demo lead leads every demo project (pairwise, classification, rating, spans, writing, red teaming).
    expect(r.body.memberships).toContainEqual({ projectId: t.demoProjectId, role: 'lead' });
    expect(r.body.memberships.map((m) => m.role)).toEqual(['lead', 'lead', 'lead', 'lead', 'lead', 'lead']);
    const cookie = r.headers.getSetCookie().find((s) => s.startsWith('accord_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // plain http here; https is covered below
    expect((await c.get('/api/auth/me')).status).toBe(200);
  });

  it('over https names the session cookie __Host-accord_session (Secure, Path=/, no Domain), and reads only that name', async () => {
    const { createApp } = await import('@accord/server');
    const app = createApp(t.server.deps);
    const lead = t.logins.find((l) => l.role === 'lead')!;
    const res = await app.request('https://accord.example/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://accord.example' },
      body: JSON.stringify({ email: lead.email, password: lead.password }),
    });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((s) => s.startsWith('__Host-accord_session='))!;
    expect(session).toBeDefined();
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*Path=\/(;|$)/i);
    expect(session).toMatch(/HttpOnly/i);
    expect(session).not.toMatch(/Domain=/i);
    expect(cookies.some((s) => s.startsWith('accord_session='))).toBe(false);
    const device = cookies.find((s) => s.startsWith('__Host-accord_device='))!;
    expect(device).toMatch(/;\s*Secure/i);
    expect(device).not.toMatch(/Domain=/i);
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    const value = session.split(';')[0]!.slice('__Host-accord_session='.length);
    const me = (name: string, url = 'https://accord.example/api/auth/me') => app.request(url, { headers: { cookie: `${name}=${value}` } });
    expect((await me('__Host-accord_session')).status).toBe(200);
    // The plain name is not read over https (a cookie planted by a plain-http page or a subdomain),
    // and the prefixed one is not read over plain http.
    expect((await me('accord_session')).status).toBe(401);
    expect((await me('__Host-accord_session', 'http://accord.example/api/auth/me')).status).toBe(401);
  });

  it('behind a trusted proxy with X-Forwarded-Proto: https, the HTTP API and the socket handshake use __Host-accord_session', async () => {
    const proxied = await t.sibling({ ACCORD_TRUST_PROXY: '1' });
    const origin = `https://127.0.0.1:${proxied.port}`;
    const lead = t.logins.find((l) => l.role === 'lead')!;
    const res = await fetch(`${proxied.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ email: lead.email, password: lead.password }),
    });
    expect(res.status).toBe(200);
    const session = res.headers.getSetCookie().find((s) => s.startsWith('__Host-accord_session='))!;
    expect(session).toMatch(/;\s*Secure/i);
    expect(session).toMatch(/;\s*Path=\/(;|$)/i);
    expect(session).not.toMatch(/Domain=/i);
    const value = session.split(';')[0]!.slice('__Host-accord_session='.length);
    const me = (cookie: string, proto: string) => fetch(`${proxied.url}/api/auth/me`, { headers: { cookie, 'x-forwarded-proto': proto } });
    expect((await me(`__Host-accord_session=${value}`, 'https')).status).toBe(200);
    expect((await me(`accord_session=${value}`, 'https')).status).toBe(401);
    expect((await me(`__Host-accord_session=${value}`, 'http')).status).toBe(401);

    const { io } = await import('socket.io-client');
    const msgpackParser = (await import('socket.io-msgpack-parser')).default;
    const handshake = (cookie: string) =>
      new Promise<string>((resolve) => {
        const socket = io(proxied.url, {
          transports: ['websocket'],
          parser: msgpackParser,
          extraHeaders: { cookie, origin, 'x-forwarded-proto': 'https' },
          reconnection: false,
          timeout: 20_000,
        });
        socket.on('connect', () => {
          socket.disconnect();
          resolve('connected');
        });
        socket.on('connect_error', (e) => {
          socket.disconnect();
          resolve(e.message);
        });
      });
    expect(await handshake(`__Host-accord_session=${value}`)).toBe('connected');
    expect(await handshake(`accord_session=${value}`)).toBe('unauthenticated');
  });

  it('answers wrong password, unknown account and deactivated account the same way', async () => {
    const u = await newUser();
    const c = new ApiClient(t.url);
    const wrong = await c.post<ErrorBody>('/api/auth/login', { email: u.email, password: 'not the password' });
    const unknown = await c.post<ErrorBody>('/api/auth/login', { email: 'nobody@example.com', password: 'whatever it is' });
    await admin.patch(`/api/users/${u.id}`, { active: false });
    const inactive = await c.post<ErrorBody>('/api/auth/login', { email: u.email, password: u.password });
    for (const r of [wrong, unknown, inactive]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { code: 'unauthenticated', message: 'Email or password is incorrect.' } });
    }
  });

  it('stores scrypt hashes with a memory-hard cost, never the password', async () => {
    const u = await newUser('a fairly long passphrase 123');
    const [row] = await t.db.db.select().from(users).where(eq(users.email, u.email));
    expect(row!.passwordHash).not.toContain('passphrase');
    const p = parseHashParams(row!.passwordHash!)!;
    expect(p.N).toBeGreaterThanOrEqual(2 ** 15);
    expect(p.N * p.r * 128).toBeGreaterThanOrEqual(32 * 1024 * 1024);
    expect(KDF.N).toBe(p.N);
  });

  it('accepts long passwords whole: a 300-character password does not match its first 72 characters', async () => {
    const long = 'Ω'.repeat(10) + 'x'.repeat(290);
    const u = await newUser(long);
    const c = new ApiClient(t.url);
    expect((await c.post('/api/auth/login', { email: u.email, password: long.slice(0, 72) })).status).toBe(401);
    expect((await c.post('/api/auth/login', { email: u.email, password: long.slice(0, long.length - 1) })).status).toBe(401);
    expect((await c.post('/api/auth/login', { email: u.email, password: long })).status).toBe(200);
  });

  it('issues a new session id at login and ends the one the browser came with', async () => {
    const u = await newUser();
    const c = new ApiClient(t.url);
    await c.login(u.email, u.password);
    const first = c.cookie!;
    await c.login(u.email, u.password);
    expect(c.cookie).not.toBe(first);
    const stale = new ApiClient(t.url);
    stale.cookie = first;
    expect((await stale.get('/api/auth/me')).status).toBe(401);
  });

  it('logout ends the session', async () => {
    const u = await newUser();
    const c = new ApiClient(t.url);
    await c.login(u.email, u.password);
    const cookie = c.cookie!;
    expect((await c.post('/api/auth/logout')).status).toBe(200);
    const again = new ApiClient(t.url);
    again.cookie = cookie;
    expect((await again.get('/api/auth/me')).status).toBe(401);
  });

  it('changing the password ends every other session and keeps this browser signed in with a new session', async () => {
    const u = await newUser();
    const a = new ApiClient(t.url);
    const b = new ApiClient(t.url);
    await a.login(u.email, u.password);
    await b.login(u.email, u.password);
    const before = a.cookie;
    const wrong = await a.post<ErrorBody>('/api/auth/password', { currentPassword: 'nope nope nope', newPassword: 'brand new passphrase' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details).toEqual([{ path: 'body.currentPassword', message: 'is incorrect' }]);
    const r = await a.post('/api/auth/password', { currentPassword: u.password, newPassword: 'brand new passphrase' });
    expect(r.status).toBe(200);
    expect(a.cookie).not.toBe(before);
    expect((await a.get('/api/auth/me')).status).toBe(200);
    expect((await b.get('/api/auth/me')).status).toBe(401);
    const c = new ApiClient(t.url);
    expect((await c.post('/api/auth/login', { email: u.email, password: u.password })).status).toBe(401);
    expect((await c.post('/api/auth/login', { email: u.email, password: 'brand new passphrase' })).status).toBe(200);
  });

  it('a password change or an admin reset revokes every API token; a token cannot change the password; wrong current passwords are limited like sign-ins', async () => {
    const u = await newUser();
    const c = new ApiClient(t.url);
    await c.login(u.email, u.password);
    const tok = (await c.post<{ token: string }>('/api/auth/tokens', { name: 'script', expiresInDays: 30 })).body.token;
    const script = new ApiClient(t.url);
    expect((await script.get('/api/auth/me', { token: tok })).status).toBe(200);
    // With the token, even the right current password is refused: the token cannot take the account.
    const viaToken = await script.post<ErrorBody>('/api/auth/password', { currentPassword: u.password, newPassword: 'taken over passphrase' }, { token: tok, origin: false });
    expect(viaToken.status).toBe(403);
    const changed = await c.post('/api/auth/password', { currentPassword: u.password, newPassword: 'second passphrase here' });
    expect(changed.status).toBe(200);
    expect((await script.get('/api/auth/me', { token: tok })).status).toBe(401);
    expect((await c.get('/api/auth/me')).status).toBe(200);

    // An admin's reset (account recovery) ends the sessions and revokes the tokens made since.
    const tok2 = (await c.post<{ token: string }>('/api/auth/tokens', { name: 'script 2', expiresInDays: 30 })).body.token;
    expect((await script.get('/api/auth/me', { token: tok2 })).status).toBe(200);
    // An admin's token cannot set a password (anyone's, its owner's included): that would take an account over.
    const adminMe = (await admin.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    const adminTok = (await admin.post<{ token: string }>('/api/auth/tokens', { name: 'admin script', expiresInDays: 1 })).body.token;
    for (const target of [u.id, adminMe]) {
      const r = await script.post<ErrorBody>(`/api/users/${target}/password`, { password: 'taken over by a token' }, { token: adminTok, origin: false });
      expect(r.status).toBe(403);
      expect(r.body.error.message).toContain('signed-in session');
    }
    expect((await admin.post(`/api/users/${u.id}/password`, { password: 'reset by the admin 1' })).status).toBe(200);
    expect((await script.get('/api/auth/me', { token: tok2 })).status).toBe(401);
    expect((await c.get('/api/auth/me')).status).toBe(401);

    // Guessing the current password from a session stops at the sign-in limit, right password or not.
    await c.login(u.email, 'reset by the admin 1');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await c.post('/api/auth/password', { currentPassword: `guess number ${i}`, newPassword: 'whatever passphrase' })).status);
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(400));
    expect(statuses.slice(-1)).toEqual([429]);
    const limited = await c.post<ErrorBody>('/api/auth/password', { currentPassword: 'reset by the admin 1', newPassword: 'whatever passphrase' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('deactivating a user ends their sessions and stops their API tokens', async () => {
    const u = await newUser();
    const c = new ApiClient(t.url);
    await c.login(u.email, u.password);
    const tok = await c.post<{ token: string }>('/api/auth/tokens', { name: 'script', expiresInDays: 30 });
    expect(tok.status).toBe(201);
    expect((await c.get('/api/auth/me', { token: tok.body.token })).status).toBe(200);
    const r = await admin.patch<{ active: boolean }>(`/api/users/${u.id}`, { active: false });
    expect(r.body.active).toBe(false);
    expect((await c.get('/api/auth/me')).status).toBe(401);
    expect((await new ApiClient(t.url).get('/api/auth/me', { token: tok.body.token })).status).toBe(401);
    // Reactivated, the account does not get its old token back, as it does not get its sessions back.
    expect((await admin.patch(`/api/users/${u.id}`, { active: true })).status).toBe(200);
    expect((await new ApiClient(t.url).get('/api/auth/me', { token: tok.body.token })).status).toBe(401);
    expect((await c.get('/api/auth/me')).status).toBe(401);
  });

  it('personal API tokens: shown once, work without cookies or Origin, listed without the secret, revocable', async () => {
    const u = await newUser();
    const c = new ApiClient(t.url);
    await c.login(u.email, u.password);
    const created = await c.post<{ token: string; apiToken: { id: string; prefix: string } }>('/api/auth/tokens', { name: 'nightly export', expiresInDays: null });
    expect(created.status).toBe(201);
    const { token, apiToken } = created.body;
    expect(token.startsWith(apiToken.prefix)).toBe(true);
    const script = new ApiClient(t.url);
    const me = await script.get<{ via: string; user: { email: string } }>('/api/auth/me', { token });
    expect(me.body).toMatchObject({ via: 'token', user: { email: u.email } });
    // A script's POST needs no Origin (a bearer token is not an ambient credential), but a token
    // cannot mint further tokens: the refusal is that rule's, not a cross-site one.
    const minted = await script.post<ErrorBody>('/api/auth/tokens', { name: 'from script' }, { token, origin: false });
    expect(minted.status).toBe(403);
    expect(minted.body.error.message).toContain('signed-in session');
    const list = await c.get<{ items: Record<string, unknown>[] }>('/api/auth/tokens');
    expect(list.body.items.length).toBe(1);
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect((await c.delete(`/api/auth/tokens/${apiToken.id}`)).status).toBe(200);
    expect((await script.get('/api/auth/me', { token })).status).toBe(401);
    expect((await script.get('/api/auth/me', { token: token + 'x' })).status).toBe(401);
    // Someone else's token id is "not found", not revocable.
    const other = await t.as('trainer2');
    expect((await other.delete(`/api/auth/tokens/${apiToken.id}`)).status).toBe(404);
  });

  it('expires sessions after the idle timeout and at the absolute limit', async () => {
    const idle = await t.sibling({ ACCORD_SESSION_IDLE_MINUTES: '1', ACCORD_SESSION_MAX_HOURS: '1' });
    const u = await newUser();
    const c = new ApiClient(idle.url);
    await c.login(u.email, u.password);
    const { sessions } = await import('@accord/db');
    // Move the session's clock back instead of waiting: idle for 2 minutes.
    await t.db.db.update(sessions).set({ lastSeenAt: new Date(Date.now() - 120_000) }).where(eq(sessions.userId, u.id));
    expect((await c.get('/api/auth/me')).status).toBe(401);
    await c.login(u.email, u.password);
    // Active recently, but created longer ago than the absolute limit.
    await t.db.db.update(sessions).set({ lastSeenAt: new Date(), expiresAt: new Date(Date.now() - 1000) }).where(eq(sessions.userId, u.id));
    expect((await c.get('/api/auth/me')).status).toBe(401);
  });

  it('rate-limits failed sign-ins per account with 429 and Retry-After, and a spoofed X-Forwarded-For does not help', async () => {
    const limited = await t.sibling({ ACCORD_LOGIN_MAX_PER_ACCOUNT: '3', ACCORD_LOGIN_MAX_PER_ADDRESS: '1000' });
    const u = await newUser();
    const c = new ApiClient(limited.url);
    for (let i = 0; i < 3; i++) expect((await c.post('/api/auth/login', { email: u.email, password: `wrong-${i}` })).status).toBe(401);
    const r = await c.post<ErrorBody>('/api/auth/login', { email: u.email, password: u.password }, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('rate_limited');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('rate-limits failed sign-ins per address across accounts, whatever X-Forwarded-For says', async () => {
    const limited = await t.sibling({ ACCORD_LOGIN_MAX_PER_ACCOUNT: '1000', ACCORD_LOGIN_MAX_PER_ADDRESS: '4' });
    // Counters live in the database and every server on it shares them (issue 13): start this
    // address from zero rather than from the failures earlier tests made from 127.0.0.1.
    await t.db.db.delete(loginAttempts).where(like(loginAttempts.key, 'addr:%'));
    const c = new ApiClient(limited.url);
    for (let i = 0; i < 4; i++) {
      const r = await c.post('/api/auth/login', { email: `guess${i}@example.com`, password: 'password1234' }, { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
      expect(r.status).toBe(401);
    }
    const r = await c.post('/api/auth/login', { email: 'another@example.com', password: 'password1234' }, { headers: { 'x-forwarded-for': '192.0.2.77' } });
    expect(r.status).toBe(429);
  });

  it('admins create users; duplicate emails and weak passwords are refused naming the field', async () => {
    const dup = await admin.post<ErrorBody>('/api/users', { email: 'LEAD@accord.local', name: 'Dup', password: 'long enough pass' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details).toEqual([{ path: 'body.email', message: 'is already taken' }]);
    const weak = await admin.post<ErrorBody>('/api/users', { email: 'weak@example.com', name: 'Weak', password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe('validation_failed');
    expect(weak.body.error.details?.[0]?.path).toBe('body.password');
    const list = await admin.get<{ items: { email: string }[]; total: number }>('/api/users?q=accord.local&sort=email&order=asc');
    expect(list.body.items.map((u) => u.email)).toContain('admin@accord.local');
    expect(list.body.items.every((u) => !('passwordHash' in u))).toBe(true);
  });

  it('an admin cannot deactivate themselves', async () => {
    const me = await admin.get<{ user: { id: string } }>('/api/auth/me');
    const r = await admin.patch<ErrorBody>(`/api/users/${me.body.user.id}`, { active: false });
    expect(r.status).toBe(409);
    expect(r.body.error.details?.[0]?.path).toBe('body.active');
  });
});
