import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import { testDatabaseKinds } from '@accord/db/testing';
import { ApiClient, type ErrorBody } from '../utils/client.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';

const kinds = await testDatabaseKinds();

describe.each(kinds)('HTTP and handshake security (%s)', (kind) => {
  let t: TestServer;
  let lead: ApiClient;
  let trainer: ApiClient;
  beforeAll(async () => {
    t = await createTestServer(kind);
    lead = await t.as('lead');
    trainer = await t.as('trainer');
  });
  afterAll(() => t?.close());

  describe('CSRF: cookie-authenticated changes must come from our origin, whatever the Content-Type', () => {
    const cases: [string, Record<string, string>, string | FormData][] = [
      ['no Content-Type, no Origin', {}, '{"name":"csrf"}'],
      ['text/plain', { 'content-type': 'text/plain' }, '{"name":"csrf"}'],
      ['mixed-case Application/JSON', { 'content-type': 'Application/JSON' }, '{"name":"csrf"}'],
      ['form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=csrf'],
      ['multipart', {}, (() => { const f = new FormData(); f.set('name', 'csrf'); return f; })()],
      ['Origin: null', { origin: 'null', 'content-type': 'application/json' }, '{"name":"csrf"}'],
      ['a foreign Origin', { origin: 'https://evil.example', 'content-type': 'application/json' }, '{"name":"csrf"}'],
      ['a look-alike Origin', { origin: 'http://127.0.0.1.evil.example', 'content-type': 'application/json' }, '{"name":"csrf"}'],
      ['Sec-Fetch-Site: cross-site without Origin', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, '{"name":"csrf"}'],
    ];
    for (const [label, headers, raw] of cases) {
      it(`refuses ${label}`, async () => {
        const r = await lead.request<ErrorBody>('POST', '/api/projects', undefined, { raw, headers, origin: false });
        expect(r.status).toBe(403);
        expect(r.body.error.code).toBe('csrf_rejected');
      });
    }
    it('also guards login (no login CSRF) and DELETE/PATCH', async () => {
      const l = t.logins[0]!;
      const r = await new ApiClient(t.url).request('POST', '/api/auth/login', { email: l.email, password: l.password }, { origin: false });
      expect(r.status).toBe(403);
      const d = await lead.request('PATCH', `/api/projects/${t.demoProjectId}`, { name: 'pwned' }, { origin: false, headers: { origin: 'https://evil.example' } });
      expect(d.status).toBe(403);
      expect((await lead.get<{ name: string }>(`/api/projects/${t.demoProjectId}`)).body.name).not.toBe('pwned');
    });
    it('accepts our own origin, and same-origin Sec-Fetch-Site without Origin', async () => {
      expect((await lead.post('/api/projects', { name: 'From the app' })).status).toBe(201);
      const r = await lead.request('POST', '/api/projects', { name: 'Fetch metadata' }, { origin: false, headers: { 'sec-fetch-site': 'same-origin' } });
      expect(r.status).toBe(201);
    });
  });

  it('GET changes nothing: there is no GET logout, and a GET on a mutation path leaves the session alive', async () => {
    const c = await t.as('reviewer');
    expect((await c.get('/api/auth/logout')).status).toBe(404);
    expect((await c.get('/api/auth/me')).status).toBe(200);
  });

  it('path variants get the same refusal as the canonical path, never a bypass', async () => {
    const anon = t.anonymous();
    const canonical = await anon.get<ErrorBody>('/api/projects');
    expect(canonical.status).toBe(401);
    for (const path of ['//api/projects', '/api//projects', '/api/projects/', '/API/projects', '/api%2Fprojects', '/api/%2e%2e/api/projects', '/api/./projects', '/api/projects%2F', '/api\\projects']) {
      const r = await anon.get<ErrorBody>(path);
      expect([400, 401, 404], `${path} → ${r.status}`).toContain(r.status);
      if (r.status !== 404 || path.startsWith('/api')) expect(r.status, path).not.toBe(200);
    }
    // A trainer may not add members by any spelling of the route.
    const base = `/api/projects/${t.demoProjectId}/members`;
    for (const path of [base, `/${base}`, `${base}/`, base.replace('/members', '//members'), base.replace('/members', '%2Fmembers'), base.toUpperCase()]) {
      const r = await trainer.post(path, { email: 'lead@accord.local', role: 'lead' });
      expect([400, 403, 404], `${path} → ${r.status}`).toContain(r.status);
    }
  });

  it('sends security headers on every response: API success and error, the app shell, unknown paths', async () => {
    const responses = [
      await lead.get('/api/auth/me'),
      await t.anonymous().get('/api/projects'),
      await t.anonymous().get('/'),
      await t.anonymous().get('/projects/123'),
      await t.anonymous().get('/api/docs'),
      await t.anonymous().get('//api/x'),
      await lead.post('/api/projects', { name: '' }),
    ];
    for (const r of responses) {
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('validates every body, query and parameter, naming the field', async () => {
    const bad = await lead.post<ErrorBody>('/api/projects', { name: '', taskKind: 'essay' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details!.map((d) => d.path).sort()).toEqual(['body.name', 'body.taskKind']);
    expect(bad.body.error.message).toContain('body.name');
    const q = await lead.get<ErrorBody>('/api/projects?limit=100000&sort=password_hash');
    expect(q.status).toBe(400);
    expect(q.body.error.details!.map((d) => d.path).sort()).toEqual(['query.limit', 'query.sort']);
    const prm = await lead.get<ErrorBody>('/api/projects/not-a-uuid');
    expect(prm.status).toBe(400);
    expect(prm.body.error.details).toEqual([{ path: 'params.projectId', message: 'must be a UUID' }]);
    const json = await lead.request<ErrorBody>('POST', '/api/projects', undefined, { raw: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(400);
    expect(json.body.error.details).toEqual([{ path: 'body', message: 'is not valid JSON' }]);
    const type = await lead.request<ErrorBody>('POST', '/api/projects', undefined, { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(type.status).toBe(415);
  });

  it('refuses text the database cannot store (NUL, unpaired surrogates) with a 400 naming the field, before anything changes', async () => {
    const p = `/api/projects/${t.demoProjectId}`;
    // The judging form's autosave and submit (the text was pasted from somewhere).
    const task = (await trainer.post<{ task: { assignmentId: string } | null }>(`${p}/queue/next`)).body.task!;
    expect(task).not.toBeNull();
    const draft = (justification: string) => trainer.put<ErrorBody>(`${p}/assignments/${task.assignmentId}/draft`, { payload: { justification } });
    expect((await draft('kept draft')).status).toBe(200);
    for (const [text, message] of [
      ['pasted\u0000text', 'must not contain a NUL character (U+0000)'],
      ['half \ud800 a pair', 'must be valid Unicode text (it has an unpaired surrogate, such as \\ud800 without its pair)'],
      ['\udfff', 'must be valid Unicode text (it has an unpaired surrogate, such as \\ud800 without its pair)'],
    ]) {
      const r = await draft(text!);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.payload.justification', message }] });
      const sub = await trainer.post<ErrorBody>(`${p}/assignments/${task.assignmentId}/submit`, { payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -1 }, scores: [], flags: [], justification: text } });
      expect(sub.status, sub.text).toBe(400);
      expect(sub.body.error.details).toEqual([{ path: 'body.payload.justification', message }]);
    }
    expect((await trainer.post<{ task: { assignmentId: string; draft: { justification: string } } }>(`${p}/queue/next`)).body.task).toMatchObject({ assignmentId: task.assignmentId, draft: { justification: 'kept draft' } });
    expect((await trainer.post(`${p}/assignments/${task.assignmentId}/release`)).status).toBe(200);
    // A lead's rename is refused whole: before, the name was stored and the audit entry then failed (500).
    const before = (await lead.get<{ name: string }>(p)).body.name;
    const ren = await lead.patch<ErrorBody>(p, { name: 'Renamed \ud800' });
    expect(ren.status, ren.text).toBe(400);
    expect(ren.body.error.details).toEqual([{ path: 'body.name', message: 'must be valid Unicode text (it has an unpaired surrogate, such as \\ud800 without its pair)' }]);
    expect((await lead.get<{ name: string }>(p)).body.name).toBe(before);
    const key = await lead.post<ErrorBody>('/api/projects', { name: 'Keys', 'a\u0000b': 1 });
    expect(key.status).toBe(400);
    expect(key.body.error.details).toEqual([{ path: 'body', message: 'has a key that contains a NUL character (U+0000)' }]);
    const nul = await lead.post<ErrorBody>('/api/auth/tokens', { name: 'token\u0000' });
    expect(nul.body.error.details).toEqual([{ path: 'body.name', message: 'must not contain a NUL character (U+0000)' }]);
    // A pair written as two escapes is one character, and fine.
    const emoji = await lead.request<{ apiToken: { name: string } }>('POST', '/api/auth/tokens', undefined, { raw: '{"name":"smile \\ud83d\\ude00"}', headers: { 'content-type': 'application/json' } });
    expect(emoji.status, emoji.text).toBe(201);
    expect(emoji.body.apiToken.name).toBe('smile 😀');
    // Query strings too (a search box, an export's date filter): a 400 naming the parameter, not a 500.
    for (const path of ['/api/projects?q=%00', `/api/projects/${t.demoProjectId}/items?q=a%00b`]) {
      const q = await lead.get<ErrorBody>(path);
      expect(q.status, path).toBe(400);
      expect(q.body.error.details).toEqual([{ path: 'query.q', message: 'must not contain a NUL character (U+0000)' }]);
    }
    for (const [param, value] of [['from', '0000-01-01'], ['to', '0000-12-31T00:00:00Z']] as const) {
      const d = await lead.get<ErrorBody>(`/api/projects/${t.demoProjectId}/exports/dpo/count?${param}=${value}`);
      expect(d.status, param).toBe(400);
      expect(d.body.error.details?.[0]?.path).toBe(`query.${param}`);
    }
    // A version past PostgreSQL's integer (2^31 and up) is a 400 naming it, not a failed query.
    for (const path of ['judgments', 'consensus']) {
      const v = await lead.get<ErrorBody>(`/api/projects/${t.demoProjectId}/${path}?rubricVersion=99999999999`);
      expect(v.status, path).toBe(400);
      expect(v.body.error.details?.[0]?.path).toBe('query.rubricVersion');
    }
    const cal = await lead.post<ErrorBody>(`/api/projects/${t.demoProjectId}/calibration`, { title: 't', participants: [randomUUID()], items: [randomUUID()], rubricVersion: 2147483648 });
    expect(cal.status).toBe(400);
    expect(cal.body.error.details?.map((x) => x.path)).toContain('body.rubricVersion');
  });

  it('refuses fields a caller may not set (mass assignment), naming them', async () => {
    const me = await lead.get<{ user: { id: string } }>('/api/auth/me');
    const r = await lead.post<ErrorBody>('/api/projects', { name: 'Sneaky', createdBy: randomUUID(), id: randomUUID(), archivedAt: null });
    expect(r.status).toBe(400);
    expect(r.body.error.details!.map((d) => d.path)).toEqual(['body']);
    expect(r.body.error.message).toMatch(/createdBy|Unrecognized/);
    const m = await lead.patch<ErrorBody>(`/api/projects/${t.demoProjectId}/members/${me.body.user.id}`, { role: 'lead', userId: randomUUID() });
    expect(m.status).toBe(400);
    const tok = await lead.post<ErrorBody>('/api/auth/tokens', { name: 'x', userId: randomUUID() });
    expect(tok.status).toBe(400);
  });

  it('answers oversized bodies with 413', async () => {
    const r = await lead.request<ErrorBody>('POST', '/api/projects', undefined, {
      raw: JSON.stringify({ name: 'big', description: 'x'.repeat(2 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
  });

  it('serves the OpenAPI document generated from the schemas, and a readable reference page', async () => {
    const doc = await t.anonymous().get<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }>('/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/api/projects/{projectId}/members/{userId}');
    expect(doc.body.paths['/api/projects']!.post!.requestBody).toBeDefined();
    const html = await t.anonymous().get('/api/docs');
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('/api/projects/{projectId}/members');
  });

  describe('Socket.IO handshake', () => {
    const connect = (opts: { cookie?: string | null; origin?: string; token?: string }) =>
      new Promise<{ ok: boolean; error?: string; socket: ReturnType<typeof ioClient> }>((resolve) => {
        const headers: Record<string, string> = {};
        if (opts.origin) headers.origin = opts.origin;
        if (opts.cookie) headers.cookie = `accord_session=${opts.cookie}`;
        const socket = ioClient(t.url, { transports: ['websocket'], parser: msgpackParser, extraHeaders: headers, auth: opts.token ? { token: opts.token } : {}, reconnection: false, timeout: 20_000 });
        socket.on('connect', () => resolve({ ok: true, socket }));
        socket.on('connect_error', (e) => resolve({ ok: false, error: e.message, socket }));
      });

    it('refuses a handshake without a valid session, or from another origin, and accepts ours', async () => {
      const none = await connect({ origin: t.origin });
      expect(none.ok).toBe(false);
      none.socket.close();
      const forged = await connect({ origin: t.origin, cookie: 'forged-session-id' });
      expect(forged.ok).toBe(false);
      forged.socket.close();
      const foreign = await connect({ origin: 'https://evil.example', cookie: lead.cookie });
      expect(foreign.ok).toBe(false);
      foreign.socket.close();
      const nullOrigin = await connect({ origin: 'null', cookie: lead.cookie });
      expect(nullOrigin.ok).toBe(false);
      nullOrigin.socket.close();
      const noOriginCookie = await connect({ cookie: lead.cookie });
      expect(noOriginCookie.ok, 'a cookie without Origin is not a browser: needs a token').toBe(false);
      noOriginCookie.socket.close();
      const good = await connect({ origin: t.origin, cookie: lead.cookie });
      expect(good.ok).toBe(true);
      good.socket.close();
    });

    it('accepts an API token without Origin (scripts), and drops the socket when the user is deactivated', async () => {
      const admin = await t.as('admin');
      const email = `sock-${randomUUID().slice(0, 6)}@example.com`;
      const u = await admin.post<{ id: string }>('/api/users', { email, name: 'Socket', password: 'socket password 1' });
      const c = new ApiClient(t.url);
      await c.login(email, 'socket password 1');
      const tok = await c.post<{ token: string }>('/api/auth/tokens', { name: 'socket' });
      const viaToken = await connect({ token: tok.body.token });
      expect(viaToken.ok).toBe(true);
      const viaCookie = await connect({ origin: t.origin, cookie: c.cookie });
      expect(viaCookie.ok).toBe(true);
      await admin.patch(`/api/users/${u.body.id}`, { active: false });
      await waitFor(() => !viaToken.socket.connected && !viaCookie.socket.connected, { message: 'sockets of a deactivated user disconnect' });
      viaToken.socket.close();
      viaCookie.socket.close();
    });

    it('ends the sockets of sessions and tokens a password change ended', async () => {
      const admin = await t.as('admin');
      const email = `pw-${randomUUID().slice(0, 6)}@example.com`;
      await admin.post('/api/users', { email, name: 'Pw', password: 'socket password 1' });
      const a = new ApiClient(t.url);
      const b = new ApiClient(t.url);
      await a.login(email, 'socket password 1');
      await b.login(email, 'socket password 1');
      const s = await connect({ origin: t.origin, cookie: b.cookie });
      expect(s.ok).toBe(true);
      // A token's socket ends too: the change revokes every token of the account.
      const tok = await a.post<{ token: string }>('/api/auth/tokens', { name: 'socket' });
      const viaToken = await connect({ token: tok.body.token });
      expect(viaToken.ok).toBe(true);
      await a.post('/api/auth/password', { currentPassword: 'socket password 1', newPassword: 'socket password 2' });
      await waitFor(() => !s.socket.connected && !viaToken.socket.connected, { message: 'sockets of an ended session and a revoked token disconnect' });
      s.socket.close();
      viaToken.socket.close();
    });
  });
});

describe('unknown errors', () => {
  it('are logged with a request id and answered as 500 without internals', async () => {
    const t = await createTestServer('pglite');
    const logged: string[] = [];
    const original = console.error;
    try {
      const lead = await t.as('lead');
      // Inject a fault into the real service object the routes call.
      t.server.deps.projects.list = async () => {
        throw new Error('secret internals: relation "users" password_hash');
      };
      console.error = (...args: unknown[]) => void logged.push(args.join(' '));
      const r = await lead.get<ErrorBody>('/api/projects');
      expect(r.status).toBe(500);
      expect(r.body.error.code).toBe('internal');
      expect(r.text).not.toContain('secret');
      const id = r.headers.get('x-request-id')!;
      expect(r.body.error.message).toContain(id);
      expect(logged.join('\n')).toContain(id);
      expect(logged.join('\n')).toContain('secret internals');
    } finally {
      console.error = original;
      await t.close();
    }
  });
});

describe('database gone mid-flight', () => {
  it('answers 503 with Retry-After instead of crashing, and keeps serving', async () => {
    const t = await createTestServer('pglite');
    try {
      const lead = await t.as('lead');
      await t.db.close();
      const r = await lead.get<ErrorBody>('/api/projects');
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('unavailable');
      expect(r.headers.get('retry-after')).toBeTruthy();
      expect(r.text).not.toMatch(/PGlite|stack|at .*\.ts/);
      expect((await t.anonymous().get('/api/health')).status).toBe(503);
    } finally {
      await t.close();
    }
  });
});
