/**
 * Every route × every kind of caller, generated from the server's route table: a route added
 * without a sample here fails, and each caller gets exactly the refusal its access rule implies.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '@accord/db/testing';
import { routeTable, type AnyRoute } from '@accord/server';
import { errorCodesOf, type ErrorCode, type Task } from '@accord/core';
import { ApiClient, type ApiResponse } from '../utils/client.ts';
import { pairItem, validJudgment } from '../utils/work.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';

const ACTORS = ['anonymous', 'trainer', 'reviewer', 'lead', 'nonMember', 'exMember', 'admin'] as const;
type ActorName = (typeof ACTORS)[number];

interface Actor {
  name: ActorName;
  email: string | null;
  password: string | null;
  client: ApiClient;
}

interface Ctx {
  t: TestServer;
  actor: Actor;
  admin: ApiClient;
  /** A fresh active user that belongs to no project. */
  freshUser(): Promise<{ id: string; email: string; password: string }>;
  /** A fresh user added to the demo project with this role. */
  freshMember(role: 'lead' | 'reviewer' | 'trainer'): Promise<{ id: string; email: string }>;
}

interface Sample {
  run(ctx: Ctx): Promise<ApiResponse>;
  /** Expected status per caller where the access rule alone does not decide it. */
  expect?: Partial<Record<ActorName, number>>;
  /** The call ends the caller's sessions; sign in again afterwards. */
  relogin?: boolean;
}

const p = (ctx: Ctx) => `/api/projects/${ctx.t.demoProjectId}`;
const notCreator = { trainer: 403, reviewer: 403, nonMember: 403, exMember: 403 } as const;
const noTask = { reviewer: 404, lead: 404, admin: 404 } as const;
/** The caller's current task in the demo project, if they receive work. */
const taskOf = async (x: Ctx) => (await x.actor.client.post<{ task: Task | null }>(`${p(x)}/queue/next`)).body?.task ?? null;

const SAMPLES: Record<string, Sample> = {
  'GET /api/health': { run: (x) => x.actor.client.get('/api/health') },
  'GET /api/openapi.json': { run: (x) => x.actor.client.get('/api/openapi.json') },
  'GET /api/docs': { run: (x) => x.actor.client.get('/api/docs') },
  'POST /api/auth/login': {
    // Signing in replaces the caller's session, so this one uses a throwaway account and client.
    async run(x) {
      const u = await x.freshUser();
      return new ApiClient(x.t.url).post('/api/auth/login', { email: u.email, password: u.password });
    },
  },
  'POST /api/auth/logout': {
    async run(x) {
      const c = new ApiClient(x.t.url);
      if (x.actor.email) await c.login(x.actor.email, x.actor.password!);
      return c.post('/api/auth/logout');
    },
  },
  'GET /api/auth/me': { run: (x) => x.actor.client.get('/api/auth/me') },
  'POST /api/auth/password': {
    run: (x) => x.actor.client.post('/api/auth/password', { currentPassword: x.actor.password ?? 'irrelevant', newPassword: x.actor.password ?? 'irrelevant-1234' }),
    relogin: true,
  },
  'GET /api/auth/tokens': { run: (x) => x.actor.client.get('/api/auth/tokens') },
  'POST /api/auth/tokens': { run: (x) => x.actor.client.post('/api/auth/tokens', { name: 'matrix' }) },
  'DELETE /api/auth/tokens/:tokenId': {
    async run(x) {
      let id: string = randomUUID();
      if (x.actor.email) id = (await x.actor.client.post<{ apiToken: { id: string } }>('/api/auth/tokens', { name: 'to revoke' })).body.apiToken.id;
      return x.actor.client.delete(`/api/auth/tokens/${id}`);
    },
  },
  'GET /api/users': { run: (x) => x.actor.client.get('/api/users') },
  'POST /api/users': {
    run: (x) => x.actor.client.post('/api/users', { email: `m${randomUUID().slice(0, 8)}@example.com`, name: 'Matrix', password: 'matrix password 1' }),
  },
  'PATCH /api/users/:userId': { run: async (x) => x.actor.client.patch(`/api/users/${(await x.freshUser()).id}`, { name: 'Renamed' }) },
  'POST /api/users/:userId/password': {
    run: async (x) => x.actor.client.post(`/api/users/${(await x.freshUser()).id}/password`, { password: 'reset password 123' }),
  },
  'GET /api/projects': { run: (x) => x.actor.client.get('/api/projects') },
  'POST /api/projects': { run: (x) => x.actor.client.post('/api/projects', { name: 'Matrix project' }), expect: notCreator },
  'GET /api/projects/:projectId': { run: (x) => x.actor.client.get(p(x)) },
  'PATCH /api/projects/:projectId': { run: (x) => x.actor.client.patch(p(x), { description: `edited by ${x.actor.name}` }) },
  'GET /api/projects/:projectId/members': { run: (x) => x.actor.client.get(`${p(x)}/members`) },
  'POST /api/projects/:projectId/members': {
    run: async (x) => x.actor.client.post(`${p(x)}/members`, { email: (await x.freshUser()).email, role: 'trainer' }),
  },
  'PATCH /api/projects/:projectId/members/:userId': {
    run: async (x) => x.actor.client.patch(`${p(x)}/members/${(await x.freshMember('trainer')).id}`, { role: 'reviewer' }),
  },
  'DELETE /api/projects/:projectId/members/:userId': {
    run: async (x) => x.actor.client.delete(`${p(x)}/members/${(await x.freshMember('trainer')).id}`),
  },
  'GET /api/projects/:projectId/items': { run: (x) => x.actor.client.get(`${p(x)}/items`) },
  'GET /api/projects/:projectId/rubric': { run: (x) => x.actor.client.get(`${p(x)}/rubric`) },
  'GET /api/projects/:projectId/rubric/versions': { run: (x) => x.actor.client.get(`${p(x)}/rubric/versions`) },
  'GET /api/projects/:projectId/rubric/versions/:version': { run: (x) => x.actor.client.get(`${p(x)}/rubric/versions/1`) },
  'POST /api/projects/:projectId/rubric/publish': { run: (x) => x.actor.client.post(`${p(x)}/rubric/publish`, { note: `by ${x.actor.name}` }) },
  'GET /api/projects/:projectId/rubric/diff': { run: (x) => x.actor.client.get(`${p(x)}/rubric/diff?from=1&to=draft`) },
  'POST /api/projects/:projectId/imports': {
    run: (x) => x.actor.client.request('POST', `${p(x)}/imports`, undefined, { raw: JSON.stringify(pairItem(`matrix-${randomUUID()}`)) }),
  },
  'GET /api/projects/:projectId/imports': { run: (x) => x.actor.client.get(`${p(x)}/imports`) },
  'GET /api/projects/:projectId/imports/:jobId': {
    async run(x) {
      const lead = await x.t.as('lead');
      const job = await lead.request<{ id: string }>('POST', `${p(x)}/imports`, undefined, { raw: JSON.stringify(pairItem(`matrix-${randomUUID()}`)) });
      return x.actor.client.get(`${p(x)}/imports/${job.body.id}`);
    },
  },
  'GET /api/projects/:projectId/settings': { run: (x) => x.actor.client.get(`${p(x)}/settings`) },
  'PATCH /api/projects/:projectId/settings': { run: (x) => x.actor.client.patch(`${p(x)}/settings`, { reservationMinutes: 30 }) },
  'GET /api/projects/:projectId/queue': { run: (x) => x.actor.client.get(`${p(x)}/queue`) },
  // Only trainers receive work in the demo project: everyone else gets no task, and no assignment to act on.
  'POST /api/projects/:projectId/queue/next': { run: (x) => x.actor.client.post(`${p(x)}/queue/next`) },
  'PUT /api/projects/:projectId/assignments/:assignmentId/draft': {
    run: async (x) => x.actor.client.request('PUT', `${p(x)}/assignments/${(await taskOf(x))?.assignmentId ?? randomUUID()}/draft`, { payload: { justification: 'draft' } }),
    expect: noTask,
  },
  'POST /api/projects/:projectId/assignments/:assignmentId/submit': {
    async run(x) {
      const task = await taskOf(x);
      return x.actor.client.post(`${p(x)}/assignments/${task?.assignmentId ?? randomUUID()}/submit`, { payload: task ? validJudgment(task) : { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 } } });
    },
    expect: noTask,
  },
  'POST /api/projects/:projectId/assignments/:assignmentId/release': {
    run: async (x) => x.actor.client.post(`${p(x)}/assignments/${(await taskOf(x))?.assignmentId ?? randomUUID()}/release`),
    expect: noTask,
  },
  'GET /api/projects/:projectId/judgments': { run: (x) => x.actor.client.get(`${p(x)}/judgments`) },
};

const keyOf = (r: AnyRoute) => `${r.method.toUpperCase()} ${r.path}`;

/** The status the access rule implies for a caller, or 'ok' for any 2xx. */
function expected(r: AnyRoute, actor: ActorName): number | 'ok' {
  const override = SAMPLES[keyOf(r)]?.expect?.[actor];
  if (override !== undefined) return override;
  if (r.access === 'public') return 'ok';
  if (actor === 'anonymous') return 401;
  if (r.access === 'user') return 'ok';
  if (r.access === 'admin') return actor === 'admin' ? 'ok' : 403;
  if (actor === 'admin') return 'ok';
  if (actor === 'nonMember' || actor === 'exMember') return 404;
  return (r.access.project as readonly string[]).includes(actor) ? 'ok' : 403;
}

const kinds = await testDatabaseKinds();

describe('the route table', () => {
  it('has a matrix sample for every route, and no sample for a route that does not exist', () => {
    const keys = routeTable.map(keyOf);
    expect(keys.filter((k) => !SAMPLES[k])).toEqual([]);
    expect(Object.keys(SAMPLES).filter((k) => !keys.includes(k))).toEqual([]);
  });
});

describe.each(kinds)('authorization matrix (%s)', (kind) => {
  let t: TestServer;
  const actors = new Map<ActorName, Actor>();
  let admin: ApiClient;
  let ctxBase: Omit<Ctx, 'actor'>;

  beforeAll(async () => {
    t = await createTestServer(kind);
    admin = await t.as('admin');
    // The admin actor's session is renewed when its password-change sample runs; always use the live one.
    const adm = () => actors.get('admin')?.client ?? admin;
    let n = 0;
    const freshUser = async () => {
      const email = `matrix${n++}-${randomUUID().slice(0, 6)}@example.com`;
      const password = 'matrix password 1';
      const r = await adm().post<{ id: string }>('/api/users', { email, name: `Matrix ${n}`, password });
      return { id: r.body.id, email, password };
    };
    const freshMember = async (role: 'lead' | 'reviewer' | 'trainer') => {
      const u = await freshUser();
      await adm().post(`/api/projects/${t.demoProjectId}/members`, { email: u.email, role });
      return u;
    };
    ctxBase = { t, admin, freshUser, freshMember };
    const demo = (email: string) => t.logins.find((l) => l.email === email)!;
    for (const [name, email] of [
      ['trainer', 'trainer1@accord.local'],
      ['reviewer', 'reviewer@accord.local'],
      ['lead', 'lead@accord.local'],
      ['admin', 'admin@accord.local'],
    ] as const) {
      const c = new ApiClient(t.url);
      await c.login(email, demo(email).password);
      actors.set(name, { name, email, password: demo(email).password, client: c });
    }
    actors.set('anonymous', { name: 'anonymous', email: null, password: null, client: new ApiClient(t.url) });
    const outsider = await freshUser();
    const nm = new ApiClient(t.url);
    await nm.login(outsider.email, outsider.password);
    actors.set('nonMember', { name: 'nonMember', email: outsider.email, password: outsider.password, client: nm });
    const ex = await freshMember('lead');
    const exClient = new ApiClient(t.url);
    await exClient.login(ex.email, ex.password);
    expect((await exClient.get(`/api/projects/${t.demoProjectId}`)).status).toBe(200);
    await admin.delete(`/api/projects/${t.demoProjectId}/members/${ex.id}`);
    actors.set('exMember', { name: 'exMember', email: ex.email, password: ex.password, client: exClient });
  });
  afterAll(() => t?.close());

  for (const r of routeTable) {
    for (const actorName of ACTORS) {
      const want = expected(r, actorName);
      it(`${keyOf(r)} as ${actorName} → ${want}`, async () => {
        const actor = actors.get(actorName)!;
        const sample = SAMPLES[keyOf(r)]!;
        const res = await sample.run({ ...ctxBase, actor });
        if (want === 'ok') expect(res.status, res.text).toBeGreaterThanOrEqual(200);
        if (want === 'ok') expect(res.status, res.text).toBeLessThan(300);
        else {
          expect(res.status, res.text).toBe(want);
          expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
          // The OpenAPI document lists this refusal among the route's error responses.
          expect(errorCodesOf(r), `${keyOf(r)}: undocumented error`).toContain((res.body as { error: { code: ErrorCode } }).error.code);
        }
        if (sample.relogin && actor.email) await actor.client.login(actor.email, actor.password!);
      });
    }
  }

  it("does not reveal a project's existence: a non-member gets the same answer as for a project that does not exist", async () => {
    const nm = actors.get('nonMember')!.client;
    const real = await nm.get(`/api/projects/${t.demoProjectId}`);
    const ghost = await nm.get(`/api/projects/${randomUUID()}`);
    expect(real.status).toBe(404);
    expect(real.body).toEqual(ghost.body);
    const realPatch = await nm.patch(`/api/projects/${t.demoProjectId}`, { name: 'x' });
    const ghostPatch = await nm.patch(`/api/projects/${randomUUID()}`, { name: 'x' });
    expect(realPatch.body).toEqual(ghostPatch.body);
    const list = await nm.get<{ items: unknown[] }>('/api/projects?status=all');
    expect(list.body.items).toEqual([]);
  });
});
