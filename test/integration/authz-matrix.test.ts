/**
 * Every route × every kind of caller against a reviewed table of expected statuses (EXPECTED), not
 * against each route's own access field: a route whose access is widened (or narrowed) by mistake
 * fails here. A route added without a row and a sample fails, and so does a row for a route that no
 * longer exists. The project and its members are built by the factory, not taken from the demo seed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qualityFlags } from '@accord/db';
import { testDatabaseKinds } from '@accord/db/testing';
import { routeTable, type AnyRoute } from '@accord/server';
import { errorCodesOf, type ErrorCode, type Task } from '@accord/core';
import { ApiClient, type ApiResponse } from '../utils/client.ts';
import { createFactory, type FactoryProject } from '../utils/factory.ts';
import { setProposalPreference, setProposalScore } from '@accord/collab';
import { importFile, jsonlOf, pairItem, validJudgment } from '../utils/work.ts';
import { createTestServer, waitFor, type TestServer } from '../utils/server.ts';

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
  /** The factory's project: every actor's role refers to it. */
  project: FactoryProject;
  /** A fresh active user that belongs to no project. */
  freshUser(): Promise<{ id: string; email: string; password: string }>;
  /** A fresh user added to the project with this role (not signed in). */
  freshMember(role: 'lead' | 'reviewer' | 'trainer'): Promise<{ id: string; email: string; password: string }>;
  /** The same, signed in. */
  freshSignedInMember(role: 'lead' | 'reviewer' | 'trainer'): Promise<{ id: string; email: string; client: ApiClient }>;
  /** Items imported up front that no sample has used yet (their ids). */
  itemPool: string[];
}

interface Sample {
  run(ctx: Ctx): Promise<ApiResponse>;
  /** The call ends the caller's sessions; sign in again afterwards. */
  relogin?: boolean;
}

const p = (ctx: Ctx) => `/api/projects/${ctx.project.id}`;
/** The caller's current task in the project, if they receive work (only trainers are eligible). */
const taskOf = async (x: Ctx) => (await x.actor.client.post<{ task: Task | null }>(`${p(x)}/queue/next`)).body?.task ?? null;

/**
 * A session of its own for a project member, kept across samples (signing in costs a scrypt hash) and
 * renewed when a sample ended it (the member's password-change sample ends their other sessions).
 */
const sessions = new Map<string, ApiClient>();
async function sessionOf(u: { email: string; password: string; client: ApiClient }): Promise<ApiClient> {
  let c = sessions.get(u.email);
  if (c && (await c.get('/api/auth/me')).status === 200) return c;
  c = u.client.fresh();
  await c.login(u.email, u.password);
  sessions.set(u.email, c);
  return c;
}
/** The lead in a session of its own. */
const leadClient = (x: Ctx) => sessionOf(x.project.lead);
/** The project's trainer in a session of their own (not the trainer actor's). */
const trainerClient = (x: Ctx) => sessionOf(x.project.trainer);

/**
 * The project's qualification (made by the lead when missing): one gold item, not required (so the
 * trainer's queue samples keep their work), pass threshold 0 and a review checklist, so every attempt
 * ends awaiting a reviewer's grade.
 */
async function qualificationBody(x: Ctx): Promise<Record<string, unknown>> {
  const lead = await leadClient(x);
  const golds = await lead.get<{ items: { id: string; gold: unknown }[] }>(`${p(x)}/items?q=matrix-gold&limit=5`);
  let gold = golds.body.items.find((i) => i.gold);
  if (!gold) {
    const job = await lead.request<{ id: string }>('POST', `${p(x)}/imports`, undefined, {
      raw: JSON.stringify(pairItem(`matrix-gold-${randomUUID()}`, { gold: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -2 } } })),
    });
    if (job.status !== 202) throw new Error(`the lead's gold import was refused: ${job.status} ${job.text}`);
    gold = await waitFor(async () => (await lead.get<{ items: { id: string; gold: unknown }[] }>(`${p(x)}/items?q=matrix-gold&limit=5`)).body.items.find((i) => i.gold), { message: 'the gold item' });
  }
  if (!gold) throw new Error('no gold item for the qualification sample');
  return { required: false, itemIds: [gold.id], passThreshold: 0, retryDelayMinutes: 0, review: { checklist: ['Names the better response'], minShare: 0.5 } };
}
async function ensureQualification(x: Ctx): Promise<void> {
  const lead = await leadClient(x);
  if ((await lead.get(`${p(x)}/qualification`)).status === 200) return;
  const r = await lead.request('PUT', `${p(x)}/qualification`, await qualificationBody(x));
  if (r.status !== 200) throw new Error(`the lead's qualification was refused: ${r.status} ${r.text}`);
}

/** A fresh item imported by the lead (its id), for samples that open a dispute on it: from the pool imported up front, then one at a time. */
async function freshItem(x: Ctx): Promise<string> {
  const pooled = x.itemPool.pop();
  if (pooled) return pooled;
  const lead = await leadClient(x);
  const ext = `matrix-dispute-${randomUUID()}`;
  const job = await lead.request<{ id: string }>('POST', `${p(x)}/imports`, undefined, { raw: JSON.stringify(pairItem(ext)) });
  if (job.status !== 202) throw new Error(`the lead's item import was refused: ${job.status} ${job.text}`);
  const id = await waitFor(async () => (await lead.get<{ items: { id: string }[] }>(`${p(x)}/items?q=${ext}&limit=1`)).body.items[0]?.id, { message: 'the imported item' });
  return id!;
}
/**
 * A dispute opened by the lead on a fresh item, its room holding a complete proposal under the
 * factory rubric (written through the server's room, as a reviewer's edit would be).
 */
async function disputeWithProposal(x: Ctx): Promise<string> {
  const lead = await leadClient(x);
  const itemId = await freshItem(x);
  const d = await lead.post<{ id: string }>(`${p(x)}/items/${itemId}/disputes`, { note: 'matrix' });
  if (d.status !== 201) throw new Error(`the lead's dispute was refused: ${d.status} ${d.text}`);
  await x.t.server.deps.docs.transact(`dispute:${d.body.id}`, (doc) => {
    setProposalPreference(doc, { kind: 'pairwise', a: 'r1', b: 'r2', value: -1 });
    setProposalScore(doc, 'helpfulness', 'r1', 3);
    setProposalScore(doc, 'helpfulness', 'r2', 2);
    setProposalScore(doc, 'overall', undefined, 1);
  });
  return d.body.id;
}
/** A dispute the lead has committed (its label exists). */
async function committedDispute(x: Ctx): Promise<string> {
  const id = await disputeWithProposal(x);
  const lead = await leadClient(x);
  const c = await lead.post(`${p(x)}/disputes/${id}/commit`, undefined, { headers: { 'idempotency-key': randomUUID() } });
  if (c.status !== 201) throw new Error(`the lead's commit was refused: ${c.status} ${c.text}`);
  return id;
}
/** A committed consensus label (its id): a dispute the lead has committed. */
async function committedLabel(x: Ctx): Promise<string> {
  const id = await disputeWithProposal(x);
  const lead = await leadClient(x);
  const c = await lead.post<{ label: { id: string } }>(`${p(x)}/disputes/${id}/commit`, undefined, { headers: { 'idempotency-key': randomUUID() } });
  if (c.status !== 201) throw new Error(`the lead's commit was refused: ${c.status} ${c.text}`);
  return c.body.label.id;
}
/** A fresh trainer's qualification attempt, answered in full (so it awaits review). */
async function answeredAttempt(x: Ctx): Promise<{ attemptId: string; itemId: string }> {
  await ensureQualification(x);
  const m = await x.freshSignedInMember('trainer');
  const n = await m.client.post<{ attempt: { id: string }; task: (Task & { attemptId: string }) | null }>(`${p(x)}/qualification/next`);
  const task = n.body.task!;
  const a = await m.client.post(`${p(x)}/qualification/attempts/${task.attemptId}/items/${task.item.id}`, { payload: validJudgment(task) });
  if (a.status !== 200) throw new Error(`the trainer's answer was refused: ${a.status} ${a.text}`);
  return { attemptId: n.body.attempt.id, itemId: task.item.id };
}
/** A submitted judgment: the caller's own when they are the trainer, else the project trainer's (in a session of their own). */
async function judgmentId(x: Ctx): Promise<string> {
  const c = x.actor.name === 'trainer' ? x.actor.client : await trainerClient(x);
  const task = (await c.post<{ task: Task | null }>(`${p(x)}/queue/next`)).body.task;
  if (!task) throw new Error('no work left for the judgment sample');
  const r = await c.post<{ judgment: { id: string } }>(`${p(x)}/assignments/${task.assignmentId}/submit`, { payload: validJudgment(task) });
  if (r.status !== 200) throw new Error(`submit refused: ${r.status} ${r.text}`);
  return r.body.judgment.id;
}

/**
 * Calibration sessions for the matrix: created by the lead with the project's trainer as the only
 * participant, on the project's last two items (so the trainer's ordinary work is untouched), and
 * taken to the stage a sample needs. The reviewer is a member but no participant.
 */
async function calibrationItems(x: Ctx): Promise<string[]> {
  const lead = await leadClient(x);
  const all = await lead.get<{ items: { id: string; externalId: string }[] }>(`${p(x)}/items?limit=100`);
  const byExt = new Map(all.body.items.map((i) => [i.externalId, i.id]));
  return x.project.items.slice(-2).map((e) => byExt.get(e)!);
}
async function calibrationSession(x: Ctx, stage: 'lobby' | 'judging' | 'revealed'): Promise<{ id: string; roundId: string | null; task: Task | null }> {
  const lead = await leadClient(x);
  const itemIds = await calibrationItems(x);
  const s = await lead.post<{ id: string }>(`${p(x)}/calibration`, { title: 'Matrix session', participants: [x.project.trainer.id], items: itemIds });
  if (s.status !== 201) throw new Error(`the lead's calibration session was refused: ${s.status} ${s.text}`);
  if (stage === 'lobby') return { id: s.body.id, roundId: null, task: null };
  const r = await lead.post<{ round: { id: string } }>(`${p(x)}/calibration/${s.body.id}/rounds`);
  const tr = await trainerClient(x);
  await tr.post(`${p(x)}/calibration/${s.body.id}/join`);
  const task = (await tr.get<{ task: Task }>(`${p(x)}/calibration/${s.body.id}`)).body.task;
  if (stage === 'judging') return { id: s.body.id, roundId: r.body.round.id, task };
  const sub = await tr.post(`${p(x)}/calibration/${s.body.id}/submit`, { roundId: r.body.round.id, payload: validJudgment(task) });
  if (sub.status !== 200) throw new Error(`the trainer's calibration judgment was refused: ${sub.status} ${sub.text}`);
  await lead.post(`${p(x)}/calibration/${s.body.id}/reveal`, {});
  return { id: s.body.id, roundId: r.body.round.id, task };
}
const cal = (x: Ctx, id: string, rest = '') => `${p(x)}/calibration/${id}${rest}`;

/** An endpoint the admin registers for the sample (others get a random id: refused before it matters). */
async function matrixEndpoint(x: Ctx): Promise<string> {
  if (x.actor.name !== 'admin') return randomUUID();
  const r = await x.actor.client.post<{ id: string }>('/api/model-endpoints', { name: `Matrix ${randomUUID().slice(0, 8)}`, baseUrl: 'http://127.0.0.1:9/v1', model: 'matrix-model' });
  if (r.status !== 201) throw new Error(`registering an endpoint was refused: ${r.status} ${r.text}`);
  return r.body.id;
}

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
  'POST /api/projects': { run: (x) => x.actor.client.post('/api/projects', { name: 'Matrix project' }) },
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
      const lead = await leadClient(x);
      const job = await lead.request<{ id: string }>('POST', `${p(x)}/imports`, undefined, { raw: JSON.stringify(pairItem(`matrix-${randomUUID()}`)) });
      if (job.status !== 202) throw new Error(`the lead's import was refused: ${job.status} ${job.text}`);
      return x.actor.client.get(`${p(x)}/imports/${job.body.id}`);
    },
  },
  'GET /api/projects/:projectId/settings': { run: (x) => x.actor.client.get(`${p(x)}/settings`) },
  'PATCH /api/projects/:projectId/settings': { run: (x) => x.actor.client.patch(`${p(x)}/settings`, { reservationMinutes: 30 }) },
  'GET /api/projects/:projectId/queue': { run: (x) => x.actor.client.get(`${p(x)}/queue`) },
  // Only trainers receive work (the default eligibility): everyone else gets no task, and no assignment to act on.
  'POST /api/projects/:projectId/queue/next': { run: (x) => x.actor.client.post(`${p(x)}/queue/next`) },
  'PUT /api/projects/:projectId/assignments/:assignmentId/draft': {
    run: async (x) => x.actor.client.request('PUT', `${p(x)}/assignments/${(await taskOf(x))?.assignmentId ?? randomUUID()}/draft`, { payload: { justification: 'draft' } }),
  },
  'POST /api/projects/:projectId/assignments/:assignmentId/submit': {
    async run(x) {
      const task = await taskOf(x);
      return x.actor.client.post(`${p(x)}/assignments/${task?.assignmentId ?? randomUUID()}/submit`, { payload: task ? validJudgment(task) : { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 } } });
    },
  },
  'POST /api/projects/:projectId/assignments/:assignmentId/release': {
    run: async (x) => x.actor.client.post(`${p(x)}/assignments/${(await taskOf(x))?.assignmentId ?? randomUUID()}/release`),
  },
  'GET /api/projects/:projectId/judgments': { run: (x) => x.actor.client.get(`${p(x)}/judgments`) },
  'POST /api/projects/:projectId/assignments/:assignmentId/justification-check': {
    run: async (x) => x.actor.client.post(`${p(x)}/assignments/${(await taskOf(x))?.assignmentId ?? randomUUID()}/justification-check`, { payload: { justification: 'A is better than B.' } }),
  },
  'GET /api/projects/:projectId/justifications/report': { run: (x) => x.actor.client.get(`${p(x)}/justifications/report`) },
  // Gates: a fresh trainer is paused, resumed, enrolled in calibration or taken off it.
  'POST /api/projects/:projectId/members/:userId/pause': {
    run: async (x) => x.actor.client.post(`${p(x)}/members/${(await x.freshMember('trainer')).id}/pause`, { reason: 'matrix' }),
  },
  'POST /api/projects/:projectId/members/:userId/resume': { run: async (x) => x.actor.client.post(`${p(x)}/members/${(await x.freshMember('trainer')).id}/resume`) },
  'POST /api/projects/:projectId/members/:userId/calibration': {
    run: async (x) => x.actor.client.post(`${p(x)}/members/${(await x.freshMember('trainer')).id}/calibration`, { note: 'matrix' }),
  },
  'DELETE /api/projects/:projectId/members/:userId/calibration': { run: async (x) => x.actor.client.delete(`${p(x)}/members/${(await x.freshMember('trainer')).id}/calibration`) },
  'GET /api/projects/:projectId/standing': { run: (x) => x.actor.client.get(`${p(x)}/standing`) },
  'GET /api/projects/:projectId/qualification': {
    async run(x) {
      await ensureQualification(x);
      return x.actor.client.get(`${p(x)}/qualification`);
    },
  },
  'PUT /api/projects/:projectId/qualification': { run: async (x) => x.actor.client.request('PUT', `${p(x)}/qualification`, await qualificationBody(x)) },
  'DELETE /api/projects/:projectId/qualification': {
    async run(x) {
      await ensureQualification(x);
      return x.actor.client.delete(`${p(x)}/qualification`);
    },
  },
  'POST /api/projects/:projectId/qualification/next': {
    async run(x) {
      await ensureQualification(x);
      return x.actor.client.post(`${p(x)}/qualification/next`);
    },
  },
  'POST /api/projects/:projectId/qualification/attempts/:attemptId/items/:itemId': {
    async run(x) {
      await ensureQualification(x);
      const n = await x.actor.client.post<{ task: (Task & { attemptId: string }) | null }>(`${p(x)}/qualification/next`);
      const task = n.status === 200 ? n.body.task : null;
      return x.actor.client.post(`${p(x)}/qualification/attempts/${task?.attemptId ?? randomUUID()}/items/${task?.item.id ?? randomUUID()}`, {
        payload: task ? validJudgment(task) : { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 1 } },
      });
    },
  },
  'GET /api/projects/:projectId/qualification/attempts': { run: (x) => x.actor.client.get(`${p(x)}/qualification/attempts`) },
  'GET /api/projects/:projectId/qualification/attempts/:attemptId': { run: async (x) => x.actor.client.get(`${p(x)}/qualification/attempts/${(await answeredAttempt(x)).attemptId}`) },
  'POST /api/projects/:projectId/qualification/attempts/:attemptId/grade': {
    async run(x) {
      const { attemptId, itemId } = await answeredAttempt(x);
      return x.actor.client.post(`${p(x)}/qualification/attempts/${attemptId}/grade`, { answers: [{ itemId, met: [0] }], comment: 'matrix' });
    },
  },
  'POST /api/projects/:projectId/judgments/:judgmentId/feedback': {
    run: async (x) => x.actor.client.post(`${p(x)}/judgments/${await judgmentId(x)}/feedback`, { text: `Feedback by ${x.actor.name}`, rating: 4 }),
  },
  'GET /api/projects/:projectId/judgments/:judgmentId/feedback': { run: async (x) => x.actor.client.get(`${p(x)}/judgments/${await judgmentId(x)}/feedback`) },
  // The factory's project is pairwise: it has no writings, so a writing of it is 404 to everyone who may ask.
  'GET /api/projects/:projectId/writings': { run: (x) => x.actor.client.get(`${p(x)}/writings`) },
  'GET /api/projects/:projectId/writings/agreement': { run: (x) => x.actor.client.get(`${p(x)}/writings/agreement`) },
  // (Any judgment id will do: none is a writing; real ones are checked in writing.test.ts.)
  'GET /api/projects/:projectId/writings/:judgmentId': { run: (x) => x.actor.client.get(`${p(x)}/writings/${randomUUID()}`) },
  'POST /api/projects/:projectId/writings/:judgmentId/reviews': { run: (x) => x.actor.client.post(`${p(x)}/writings/${randomUUID()}/reviews`, { version: 1, scores: [], decision: 'accept' }) },
  'POST /api/projects/:projectId/writings/:judgmentId/revisions': { run: (x) => x.actor.client.post(`${p(x)}/writings/${randomUUID()}/revisions`, { text: 'A revised text.' }) },
  'GET /api/projects/:projectId/feedback': { run: (x) => x.actor.client.get(`${p(x)}/feedback`) },
  'GET /api/projects/:projectId/judgments/:judgmentId': {
    async run(x) {
      // A judgment of the project's trainer (a session of their own submits one), read by the caller.
      const tr = await trainerClient(x);
      const task = (await tr.post<{ task: Task | null }>(`${p(x)}/queue/next`)).body.task;
      if (!task) throw new Error('the trainer has no work left for the judgment sample');
      const sub = await tr.post<{ judgment: { id: string } }>(`${p(x)}/assignments/${task.assignmentId}/submit`, { payload: validJudgment(task) });
      if (sub.status !== 200) throw new Error(`the trainer's judgment was refused: ${sub.status} ${sub.text}`);
      return x.actor.client.get(`${p(x)}/judgments/${sub.body.judgment.id}`);
    },
  },
  'GET /api/projects/:projectId/agreement': { run: (x) => x.actor.client.get(`${p(x)}/agreement?samples=20`) },
  'GET /api/projects/:projectId/agreement/trainers': { run: (x) => x.actor.client.get(`${p(x)}/agreement/trainers`) },
  'GET /api/projects/:projectId/leaderboard': { run: (x) => x.actor.client.get(`${p(x)}/leaderboard?from=consensus&samples=20`) },
  'GET /api/projects/:projectId/me/stats': { run: (x) => x.actor.client.get(`${p(x)}/me/stats`) },
  'GET /api/projects/:projectId/flags': { run: (x) => x.actor.client.get(`${p(x)}/flags?status=all`) },
  // A real open flag each time, on a fresh trainer of the project (inserted as the flag evaluation
  // raises them), so the lead's call proves the allowed path; others are refused before the flag is read.
  'POST /api/projects/:projectId/flags/:flagId/clear': {
    async run(x) {
      const u = await x.freshMember('trainer');
      const [flag] = await x.t.db.db
        .insert(qualityFlags)
        .values({ projectId: x.project.id, userId: u.id, kind: 'kappaVsConsensus', value: 0.1, threshold: 0.4, window: 20, items: [] })
        .returning({ id: qualityFlags.id });
      return x.actor.client.post(`${p(x)}/flags/${flag!.id}/clear`, { reason: 'reviewed' });
    },
  },
  'GET /api/projects/:projectId/exports/:kind': { run: (x) => x.actor.client.get(`${p(x)}/exports/dpo?format=csv`) },
  'GET /api/projects/:projectId/exports/:kind/count': { run: (x) => x.actor.client.get(`${p(x)}/exports/consensus/count`) },
  'GET /api/projects/:projectId/consensus': { run: (x) => x.actor.client.get(`${p(x)}/consensus`) },
  // A real committed label each time, so the allowed callers prove the allowed path.
  'GET /api/projects/:projectId/consensus/:labelId': { run: async (x) => x.actor.client.get(`${p(x)}/consensus/${await committedLabel(x)}`) },
  'POST /api/projects/:projectId/consensus/:labelId/reopen': { run: async (x) => x.actor.client.post(`${p(x)}/consensus/${await committedLabel(x)}/reopen`, { note: 'matrix' }) },
  'GET /api/projects/:projectId/disputes': { run: (x) => x.actor.client.get(`${p(x)}/disputes?status=all`) },
  'GET /api/projects/:projectId/disputes/:disputeId': { run: async (x) => x.actor.client.get(`${p(x)}/disputes/${await disputeWithProposal(x)}`) },
  'POST /api/projects/:projectId/items/:itemId/disputes': { run: async (x) => x.actor.client.post(`${p(x)}/items/${await freshItem(x)}/disputes`, { note: `opened by ${x.actor.name}` }) },
  'POST /api/projects/:projectId/disputes/:disputeId/signoff': { run: async (x) => x.actor.client.post(`${p(x)}/disputes/${await disputeWithProposal(x)}/signoff`) },
  'DELETE /api/projects/:projectId/disputes/:disputeId/signoff': { run: async (x) => x.actor.client.delete(`${p(x)}/disputes/${await disputeWithProposal(x)}/signoff`) },
  // Reviewers commit only with the project's sign-offs (none here): 403; the lead always may.
  'POST /api/projects/:projectId/disputes/:disputeId/commit': {
    run: async (x) => x.actor.client.post(`${p(x)}/disputes/${await disputeWithProposal(x)}/commit`, undefined, { headers: { 'idempotency-key': randomUUID() } }),
  },
  'POST /api/projects/:projectId/disputes/:disputeId/gold': { run: async (x) => x.actor.client.post(`${p(x)}/disputes/${await committedDispute(x)}/gold`) },
  'GET /api/projects/:projectId/calibration': { run: (x) => x.actor.client.get(`${p(x)}/calibration`) },
  'POST /api/projects/:projectId/calibration': {
    run: async (x) => x.actor.client.post(`${p(x)}/calibration`, { title: 'Matrix', participants: [x.project.trainer.id], items: await calibrationItems(x) }),
  },
  'GET /api/projects/:projectId/calibration/:sessionId': { run: async (x) => x.actor.client.get(cal(x, (await calibrationSession(x, 'judging')).id)) },
  'POST /api/projects/:projectId/calibration/:sessionId/participants': { run: async (x) => x.actor.client.post(cal(x, (await calibrationSession(x, 'lobby')).id, '/participants'), { userIds: [x.project.reviewer.id] }) },
  'POST /api/projects/:projectId/calibration/:sessionId/join': { run: async (x) => x.actor.client.post(cal(x, (await calibrationSession(x, 'lobby')).id, '/join')) },
  'POST /api/projects/:projectId/calibration/:sessionId/rounds': { run: async (x) => x.actor.client.post(cal(x, (await calibrationSession(x, 'lobby')).id, '/rounds')) },
  'POST /api/projects/:projectId/calibration/:sessionId/next': { run: async (x) => x.actor.client.post(cal(x, (await calibrationSession(x, 'revealed')).id, '/next')) },
  'POST /api/projects/:projectId/calibration/:sessionId/submit': {
    async run(x) {
      const s = await calibrationSession(x, 'judging');
      return x.actor.client.post(cal(x, s.id, '/submit'), { roundId: s.roundId, payload: validJudgment(s.task!) });
    },
  },
  'POST /api/projects/:projectId/calibration/:sessionId/reveal': { run: async (x) => x.actor.client.post(cal(x, (await calibrationSession(x, 'judging')).id, '/reveal'), { force: true }) },
  'GET /api/projects/:projectId/calibration/:sessionId/rounds/:roundId': {
    async run(x) {
      const s = await calibrationSession(x, 'revealed');
      return x.actor.client.get(cal(x, s.id, `/rounds/${s.roundId}`));
    },
  },
  'POST /api/projects/:projectId/calibration/:sessionId/end': { run: async (x) => x.actor.client.post(cal(x, (await calibrationSession(x, 'revealed')).id, '/end'), { judgments: 'discarded' }) },
  'GET /api/projects/:projectId/calibration/:sessionId/report': { run: async (x) => x.actor.client.get(cal(x, (await calibrationSession(x, 'revealed')).id, '/report')) },
  'GET /api/projects/:projectId/calibration/:sessionId/audit': { run: async (x) => x.actor.client.get(cal(x, (await calibrationSession(x, 'revealed')).id, '/audit')) },
  // Red teaming. The matrix project is a pairwise one: sending and reviewing answer 409 past the access check.
  'GET /api/model-endpoints': { run: (x) => x.actor.client.get('/api/model-endpoints') },
  'POST /api/model-endpoints': {
    run: (x) => x.actor.client.post('/api/model-endpoints', { name: `Matrix ${randomUUID().slice(0, 8)}`, baseUrl: 'http://127.0.0.1:9/v1', model: 'matrix-model', apiKey: 'sk-matrix' }),
  },
  'PATCH /api/model-endpoints/:endpointId': { run: async (x) => x.actor.client.patch(`/api/model-endpoints/${await matrixEndpoint(x)}`, { model: 'renamed-model' }) },
  'DELETE /api/model-endpoints/:endpointId': { run: async (x) => x.actor.client.delete(`/api/model-endpoints/${await matrixEndpoint(x)}`) },
  'GET /api/projects/:projectId/model-endpoints': { run: (x) => x.actor.client.get(`${p(x)}/model-endpoints`) },
  'GET /api/projects/:projectId/redteam/target': { run: (x) => x.actor.client.get(`${p(x)}/redteam/target`) },
  'POST /api/projects/:projectId/assignments/:assignmentId/redteam/send': {
    run: (x) => x.actor.client.post(`${p(x)}/assignments/${randomUUID()}/redteam/send`, { turns: [{ role: 'user', content: 'matrix attack' }] }),
  },
  'PUT /api/projects/:projectId/judgments/:judgmentId/redteam-review': { run: (x) => x.actor.client.put(`${p(x)}/judgments/${randomUUID()}/redteam-review`, { confirmed: true }) },
  'GET /api/projects/:projectId/redteam/reviews': { run: (x) => x.actor.client.get(`${p(x)}/redteam/reviews`) },
};

const keyOf = (r: AnyRoute) => `${r.method.toUpperCase()} ${r.path}`;

type Row = Record<ActorName, number>;
// Shorthands for the common shapes; every row still names all seven callers' statuses.
const everyone = (s: number): Row => ({ anonymous: s, trainer: s, reviewer: s, lead: s, nonMember: s, exMember: s, admin: s });
const signedIn = (s: number): Row => ({ ...everyone(s), anonymous: 401 });
const adminOnly = (s: number): Row => ({ anonymous: 401, trainer: 403, reviewer: 403, lead: 403, nonMember: 403, exMember: 403, admin: s });
/** Project routes: anonymous 401, outsiders (never or no longer members) 404, admins act as lead. */
const inProject = (trainer: number, reviewer: number, lead: number): Row => ({ anonymous: 401, trainer, reviewer, lead, nonMember: 404, exMember: 404, admin: lead });

/**
 * The reviewed authorization table: route × caller → status. Written out by hand and checked row by
 * row against docs/design.md's role table (admin: users and every project; lead: import, rubric
 * authoring and publishing, settings, members; reviewer: review trainers' work, propose rubric
 * edits; trainer: judge assigned items, see published rubrics, their own work). `exMember` was a
 * lead of the project and has been removed; `nonMember` never belonged to it. Change a row only
 * together with docs/design.md.
 */
const EXPECTED: Record<string, Row> = {
  // Public: the health check, the API description, and signing in.
  'GET /api/health': everyone(200),
  'GET /api/openapi.json': everyone(200),
  'GET /api/docs': everyone(200),
  'POST /api/auth/login': everyone(200),
  // Anyone signed in manages their own session, password and API tokens.
  'POST /api/auth/logout': signedIn(200),
  'GET /api/auth/me': signedIn(200),
  'POST /api/auth/password': signedIn(200),
  'GET /api/auth/tokens': signedIn(200),
  'POST /api/auth/tokens': signedIn(201),
  'DELETE /api/auth/tokens/:tokenId': signedIn(200),
  // Users are managed by admins only (a project lead is not a user administrator).
  'GET /api/users': adminOnly(200),
  'POST /api/users': adminOnly(201),
  'PATCH /api/users/:userId': adminOnly(200),
  'POST /api/users/:userId/password': adminOnly(200),
  // The list shows each caller their own projects (outsiders: an empty list).
  'GET /api/projects': signedIn(200),
  // Creating projects: admins, and users who lead a project (the caller becomes its lead).
  'POST /api/projects': { anonymous: 401, trainer: 403, reviewer: 403, lead: 201, nonMember: 403, exMember: 403, admin: 201 },
  // Every member reads the project and its members; settings (the gold rate among them) are for leads
  // and reviewers, so trainers stay blind to gold; only the lead changes them.
  'GET /api/projects/:projectId': inProject(200, 200, 200),
  'PATCH /api/projects/:projectId': inProject(403, 403, 200),
  'GET /api/projects/:projectId/members': inProject(200, 200, 200),
  'POST /api/projects/:projectId/members': inProject(403, 403, 201),
  'PATCH /api/projects/:projectId/members/:userId': inProject(403, 403, 200),
  'DELETE /api/projects/:projectId/members/:userId': inProject(403, 403, 200),
  'GET /api/projects/:projectId/settings': inProject(403, 200, 200),
  'PATCH /api/projects/:projectId/settings': inProject(403, 403, 200),
  // Items (with gold labels for leads) are for leads and reviewers: trainers see only their tasks.
  'GET /api/projects/:projectId/items': inProject(403, 200, 200),
  // The live draft is read by its authors (lead) and by reviewers, who propose edits; trainers
  // judge by published versions, which every member reads. Publishing is the lead's.
  'GET /api/projects/:projectId/rubric': inProject(403, 200, 200),
  'GET /api/projects/:projectId/rubric/versions': inProject(200, 200, 200),
  'GET /api/projects/:projectId/rubric/versions/:version': inProject(200, 200, 200),
  'POST /api/projects/:projectId/rubric/publish': inProject(403, 403, 201),
  'GET /api/projects/:projectId/rubric/diff': inProject(403, 200, 200),
  // Imports are the lead's.
  'POST /api/projects/:projectId/imports': inProject(403, 403, 202),
  'GET /api/projects/:projectId/imports': inProject(403, 403, 200),
  'GET /api/projects/:projectId/imports/:jobId': inProject(403, 403, 200),
  // Every member may ask for work; only eligible members (trainers, by default) receive any, so
  // only a trainer has an assignment to save, submit or release — for anyone else it does not exist.
  'GET /api/projects/:projectId/queue': inProject(200, 200, 200),
  'POST /api/projects/:projectId/queue/next': inProject(200, 200, 200),
  'PUT /api/projects/:projectId/assignments/:assignmentId/draft': inProject(200, 404, 404),
  'POST /api/projects/:projectId/assignments/:assignmentId/submit': inProject(200, 404, 404),
  'POST /api/projects/:projectId/assignments/:assignmentId/release': inProject(200, 404, 404),
  // Judgments: reviewers and leads review everyone's; trainers see only their own (the route filters).
  'GET /api/projects/:projectId/judgments': inProject(200, 200, 200),
  // Justification checks: the trainer checks the judgment they are writing (only they hold the
  // assignment); the per-trainer figures are for leads and reviewers, never for trainers.
  'POST /api/projects/:projectId/assignments/:assignmentId/justification-check': inProject(200, 404, 404),
  'GET /api/projects/:projectId/justifications/report': inProject(403, 200, 200),
  // Gates on a member's work are the lead's (pause, resume, calibration); every member reads their own standing.
  'POST /api/projects/:projectId/members/:userId/pause': inProject(403, 403, 200),
  'POST /api/projects/:projectId/members/:userId/resume': inProject(403, 403, 200),
  'POST /api/projects/:projectId/members/:userId/calibration': inProject(403, 403, 200),
  'DELETE /api/projects/:projectId/members/:userId/calibration': inProject(403, 403, 200),
  'GET /api/projects/:projectId/standing': inProject(200, 200, 200),
  // The qualification names gold items: leads and reviewers read it, the lead sets it; trainers never see which items are gold.
  'GET /api/projects/:projectId/qualification': inProject(403, 200, 200),
  'PUT /api/projects/:projectId/qualification': inProject(403, 403, 200),
  'DELETE /api/projects/:projectId/qualification': inProject(403, 403, 200),
  // Members take it (an admin who is not a member has nothing to qualify: 409; no attempt of theirs: 404).
  'POST /api/projects/:projectId/qualification/next': { ...inProject(200, 200, 200), admin: 409 },
  'POST /api/projects/:projectId/qualification/attempts/:attemptId/items/:itemId': { ...inProject(200, 200, 200), admin: 404 },
  // Attempts: trainers their own (the route filters); answers with their agreement with gold are for those who grade them.
  'GET /api/projects/:projectId/qualification/attempts': inProject(200, 200, 200),
  'GET /api/projects/:projectId/qualification/attempts/:attemptId': inProject(403, 200, 200),
  // Reviewers and leads grade justifications.
  'POST /api/projects/:projectId/qualification/attempts/:attemptId/grade': inProject(403, 200, 200),
  // Feedback is written by reviewers and leads; each trainer reads it on their own judgments (others' are 404).
  'POST /api/projects/:projectId/judgments/:judgmentId/feedback': inProject(403, 201, 201),
  'GET /api/projects/:projectId/judgments/:judgmentId/feedback': inProject(200, 200, 200),
  // SFT writings: trainers list and read their own (the route filters; others' are 404) and revise them;
  // reviewers and leads read every writing, review them and read the reviewers' agreement.
  'GET /api/projects/:projectId/writings': inProject(200, 200, 200),
  'GET /api/projects/:projectId/writings/agreement': inProject(403, 200, 200),
  'GET /api/projects/:projectId/writings/:judgmentId': inProject(404, 404, 404),
  'POST /api/projects/:projectId/writings/:judgmentId/reviews': inProject(403, 404, 404),
  'POST /api/projects/:projectId/writings/:judgmentId/revisions': inProject(404, 404, 404),
  'GET /api/projects/:projectId/feedback': inProject(200, 200, 200),
  // One judgment with its item, to read it: the trainer's own (another trainer's is 404, see judging.test.ts).
  'GET /api/projects/:projectId/judgments/:judgmentId': inProject(200, 200, 200),
  // Quality figures (agreement, annotators, leaderboard, flags) are for leads and reviewers; each
  // member reads only their own statistics; only the lead clears a flag.
  'GET /api/projects/:projectId/agreement': inProject(403, 200, 200),
  'GET /api/projects/:projectId/agreement/trainers': inProject(403, 200, 200),
  'GET /api/projects/:projectId/leaderboard': inProject(403, 200, 200),
  'GET /api/projects/:projectId/me/stats': inProject(200, 200, 200),
  'GET /api/projects/:projectId/flags': inProject(403, 200, 200),
  'POST /api/projects/:projectId/flags/:flagId/clear': inProject(403, 403, 200),
  // Exports (training data, raw judgments with annotator names, model names) are the lead's.
  'GET /api/projects/:projectId/exports/:kind': inProject(403, 403, 200),
  'GET /api/projects/:projectId/exports/:kind/count': inProject(403, 403, 200),
  // Consensus and disputes are for leads and reviewers; trainers never learn of them (blindness).
  // Reviewers open disputes and adjudicate (sign off; commit with the project's sign-offs); leads
  // also commit at once, reopen labels and promote adjudicated items to gold.
  'GET /api/projects/:projectId/consensus': inProject(403, 200, 200),
  'GET /api/projects/:projectId/consensus/:labelId': inProject(403, 200, 200),
  'POST /api/projects/:projectId/consensus/:labelId/reopen': inProject(403, 403, 201),
  'GET /api/projects/:projectId/disputes': inProject(403, 200, 200),
  'GET /api/projects/:projectId/disputes/:disputeId': inProject(403, 200, 200),
  'POST /api/projects/:projectId/items/:itemId/disputes': inProject(403, 201, 201),
  'POST /api/projects/:projectId/disputes/:disputeId/signoff': inProject(403, 200, 200),
  'DELETE /api/projects/:projectId/disputes/:disputeId/signoff': inProject(403, 200, 200),
  'POST /api/projects/:projectId/disputes/:disputeId/commit': inProject(403, 403, 201),
  'POST /api/projects/:projectId/disputes/:disputeId/gold': inProject(403, 403, 200),
  // Calibration sessions: the lead runs them; each member lists those they take part in; a session,
  // its revealed rounds and its report are for its participants (the trainer here) and the leads,
  // never for another member (the reviewer, not a participant: 404, as for a made-up id). Only participants join and
  // submit (a lead who does not take part may not); the audit log is the lead's.
  'GET /api/projects/:projectId/calibration': inProject(200, 200, 200),
  'POST /api/projects/:projectId/calibration': inProject(403, 403, 201),
  'GET /api/projects/:projectId/calibration/:sessionId': inProject(200, 404, 200),
  'POST /api/projects/:projectId/calibration/:sessionId/participants': inProject(403, 403, 200),
  'POST /api/projects/:projectId/calibration/:sessionId/join': { ...inProject(200, 404, 403), admin: 403 },
  'POST /api/projects/:projectId/calibration/:sessionId/rounds': inProject(403, 403, 200),
  'POST /api/projects/:projectId/calibration/:sessionId/next': inProject(403, 403, 200),
  'POST /api/projects/:projectId/calibration/:sessionId/submit': { ...inProject(200, 404, 403), admin: 403 },
  'POST /api/projects/:projectId/calibration/:sessionId/reveal': inProject(403, 403, 200),
  'GET /api/projects/:projectId/calibration/:sessionId/rounds/:roundId': inProject(200, 404, 200),
  'POST /api/projects/:projectId/calibration/:sessionId/end': inProject(403, 403, 200),
  'GET /api/projects/:projectId/calibration/:sessionId/report': inProject(200, 404, 200),
  'GET /api/projects/:projectId/calibration/:sessionId/audit': inProject(403, 403, 200),
  // Red teaming: admins register models under test (the key never leaves the server); a lead picks
  // one (names and models only); every member learns whether there is one; trainers (and leads and
  // reviewers, who may judge) send to it (409 here: a pairwise project); reviewers and leads review.
  'GET /api/model-endpoints': adminOnly(200),
  'POST /api/model-endpoints': adminOnly(201),
  'PATCH /api/model-endpoints/:endpointId': adminOnly(200),
  'DELETE /api/model-endpoints/:endpointId': adminOnly(200),
  'GET /api/projects/:projectId/model-endpoints': inProject(403, 403, 200),
  'GET /api/projects/:projectId/redteam/target': inProject(200, 200, 200),
  'POST /api/projects/:projectId/assignments/:assignmentId/redteam/send': inProject(409, 409, 409),
  'PUT /api/projects/:projectId/judgments/:judgmentId/redteam-review': inProject(403, 409, 409),
  'GET /api/projects/:projectId/redteam/reviews': inProject(403, 200, 200),
};

// Who may call what is decided by the server's code from the same rows on either database, so the
// matrix runs once: on PostgreSQL where one is reachable (CI), else on the embedded PGlite. The
// database-specific paths behind each route are covered on both by the feature suites.
const kinds = (await testDatabaseKinds()).slice(-1);

describe('the route table', () => {
  it('has a reviewed row and a sample for every route, and neither for a route that does not exist', () => {
    const keys = routeTable.map(keyOf);
    expect(keys.filter((k) => !EXPECTED[k]), 'routes without a row in EXPECTED').toEqual([]);
    expect(Object.keys(EXPECTED).filter((k) => !keys.includes(k)), 'rows in EXPECTED naming no route').toEqual([]);
    expect(keys.filter((k) => !SAMPLES[k]), 'routes without a sample').toEqual([]);
    expect(Object.keys(SAMPLES).filter((k) => !keys.includes(k)), 'samples naming no route').toEqual([]);
  });

  it('holds rows that name every caller with an HTTP status', () => {
    for (const [k, row] of Object.entries(EXPECTED)) {
      expect(Object.keys(row).sort(), k).toEqual([...ACTORS].sort());
      for (const s of Object.values(row)) expect(s >= 200 && s < 600, `${k}: ${s}`).toBe(true);
    }
  });
});

describe.each(kinds)('authorization matrix (%s)', (kind) => {
  let t: TestServer;
  const actors = new Map<ActorName, Actor>();
  let ctxBase: Omit<Ctx, 'actor'>;

  beforeAll(async () => {
    t = await createTestServer(kind);
    // The factory works as the server's first admin; the admin actor is a separate admin account, so
    // its own password change (which renews its session) leaves the factory's session alone.
    const factory = createFactory(await t.as('admin'), t.server.deps);
    // Enough items that the trainer always has work left for the assignment samples.
    const project = await factory.project({ name: 'Authorization matrix', items: 40, trainers: 1 });
    const freshUser = async () => {
      const { id, email, password } = await factory.account({ name: 'Matrix user' });
      return { id, email, password };
    };
    const freshMember = async (role: 'lead' | 'reviewer' | 'trainer') => {
      const u = await factory.account({ name: `Matrix ${role}` });
      await factory.addMember(project.id, u, role);
      return u;
    };
    const freshSignedInMember = async (role: 'lead' | 'reviewer' | 'trainer') => {
      const u = await factory.user({ name: `Matrix ${role}` });
      await factory.addMember(project.id, u, role);
      return u;
    };
    // Items for the samples that open a dispute (one each), imported in one job: an import per
    // sample would poll its job every time.
    const pool = Array.from({ length: 64 }, (_, i) => pairItem(`matrix-pool-${i}-${randomUUID()}`));
    const poolJob = await importFile(project.lead.client, project.id, jsonlOf(pool));
    expect(poolJob).toMatchObject({ status: 'done', rejected: 0 });
    const poolItems = await project.lead.client.get<{ items: { id: string }[] }>(`/api/projects/${project.id}/items?q=matrix-pool&limit=100`);
    const itemPool = poolItems.body.items.map((i) => i.id);
    expect(itemPool).toHaveLength(pool.length);
    ctxBase = { t, project, freshUser, freshMember, freshSignedInMember, itemPool };
    const adminUser = await factory.user({ name: 'Matrix admin', isAdmin: true });
    for (const [name, u] of [
      ['trainer', project.trainer],
      ['reviewer', project.reviewer],
      ['lead', project.lead],
      ['admin', adminUser],
    ] as const) {
      const c = new ApiClient(t.url);
      await c.login(u.email, u.password);
      actors.set(name, { name, email: u.email, password: u.password, client: c });
    }
    actors.set('anonymous', { name: 'anonymous', email: null, password: null, client: new ApiClient(t.url) });
    const outsider = await factory.user({ name: 'Matrix outsider' });
    actors.set('nonMember', { name: 'nonMember', email: outsider.email, password: outsider.password, client: outsider.client });
    const ex = await freshMember('lead');
    const exClient = new ApiClient(t.url);
    await exClient.login(ex.email, ex.password);
    expect((await exClient.get(`/api/projects/${project.id}`)).status).toBe(200);
    expect((await factory.admin.delete(`/api/projects/${project.id}/members/${ex.id}`)).status).toBe(200);
    actors.set('exMember', { name: 'exMember', email: ex.email, password: ex.password, client: exClient });
  });
  afterAll(() => t?.close());

  for (const r of routeTable) {
    for (const actorName of ACTORS) {
      const want = EXPECTED[keyOf(r)]?.[actorName];
      it(`${keyOf(r)} as ${actorName} → ${want ?? 'no row in EXPECTED'}`, async () => {
        if (want === undefined) throw new Error(`add a reviewed row for ${keyOf(r)} to EXPECTED`);
        const actor = actors.get(actorName)!;
        const sample = SAMPLES[keyOf(r)]!;
        const res = await sample.run({ ...ctxBase, actor });
        expect(res.status, res.text.slice(0, 300)).toBe(want);
        if (want >= 400) {
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
    const real = await nm.get(`/api/projects/${ctxBase.project.id}`);
    const ghost = await nm.get(`/api/projects/${randomUUID()}`);
    expect(real.status).toBe(404);
    expect(real.body).toEqual(ghost.body);
    const realPatch = await nm.patch(`/api/projects/${ctxBase.project.id}`, { name: 'x' });
    const ghostPatch = await nm.patch(`/api/projects/${randomUUID()}`, { name: 'x' });
    expect(realPatch.body).toEqual(ghostPatch.body);
    const list = await nm.get<{ items: unknown[] }>('/api/projects?status=all');
    expect(list.body.items).toEqual([]);
  });
});
