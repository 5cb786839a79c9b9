/**
 * Route behaviour that needs no socket, answered in-process (`createApp(deps)` + `app.request()`)
 * on a project the test builds itself: validation errors name the field, non-members learn nothing
 * about a project (404, the same answer as for one that does not exist) while members without the
 * role get 403, and state changes need our Origin.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Member, Project, ProjectSettings } from '@accord/core';
import { createTestApp, type TestApp } from '../utils/app.ts';
import type { ErrorBody } from '../utils/client.ts';
import type { FactoryProject, FactoryUser } from '../utils/factory.ts';

describe('routes in-process (pglite)', () => {
  let a: TestApp;
  let p: FactoryProject;
  let outsider: FactoryUser;

  beforeAll(async () => {
    a = await createTestApp('pglite');
    p = await a.factory.project({ items: 2, trainers: 1 });
    outsider = await a.factory.user({ name: 'Outsider' });
  });
  afterAll(() => a?.close());

  const paths = (r: { body: ErrorBody }) => (r.body.error.details ?? []).map((d) => d.path).sort();

  describe('the factory project', () => {
    it('has a member of every role, its items and a published rubric; the admin is no member', async () => {
      expect(p.project).toMatchObject({ myRole: 'lead', counts: { members: 3, items: 2 } });
      const members = await p.lead.client.get<{ items: Member[] }>(`/api/projects/${p.id}/members`);
      expect(members.body.items.map((m) => [m.email, m.role]).sort()).toEqual(
        [
          [p.lead.email, 'lead'],
          [p.reviewer.email, 'reviewer'],
          [p.trainer.email, 'trainer'],
        ].sort(),
      );
      expect(p.rubricVersion).toBe(1);
      const versions = await p.trainer.client.get<{ items: { version: number }[] }>(`/api/projects/${p.id}/rubric/versions`);
      expect(versions.body.items.map((v) => v.version)).toEqual([1]);
      // Admin rights, not membership: the admin still sees it, as lead.
      expect((await a.admin.get<Project>(`/api/projects/${p.id}`)).body.myRole).toBe('lead');
    });
  });

  describe('project validation names the field', () => {
    it('refuses a project without a name, with an unknown task kind or an unknown field', async () => {
      const none = await a.admin.post<ErrorBody>('/api/projects', {});
      expect(none.status).toBe(400);
      expect(none.body.error.code).toBe('validation_failed');
      expect(paths(none)).toEqual(['body.name']);
      expect(none.body.error.message).toContain('body.name');

      const kind = await a.admin.post<ErrorBody>('/api/projects', { name: 'Kinds', taskKind: 'essay' });
      expect(kind.status).toBe(400);
      expect(paths(kind)).toEqual(['body.taskKind']);

      const extra = await a.admin.post<ErrorBody>('/api/projects', { name: 'Extra', owner: 'me' });
      expect(extra.status).toBe(400);
      expect(extra.body.error.message).toMatch(/owner/);

      const blank = await a.admin.post<ErrorBody>('/api/projects', { name: '   ' });
      expect(blank.status).toBe(400);
      expect(paths(blank)).toEqual(['body.name']);
    });

    it('refuses an empty or ill-typed update, naming the field, and changes nothing', async () => {
      const empty = await p.lead.client.patch<ErrorBody>(`/api/projects/${p.id}`, {});
      expect(empty.status).toBe(400);
      expect(empty.body.error.message).toMatch(/at least one field/);
      const typed = await p.lead.client.patch<ErrorBody>(`/api/projects/${p.id}`, { archived: 'yes', description: 42 });
      expect(typed.status).toBe(400);
      expect(paths(typed)).toEqual(['body.archived', 'body.description']);
      expect((await p.lead.client.get<Project>(`/api/projects/${p.id}`)).body).toMatchObject({ name: p.project.name, archived: false });
    });

    it('names the settings field that is out of range', async () => {
      const r = await p.lead.client.patch<ErrorBody>(`/api/projects/${p.id}/settings`, { overlap: 0, goldRate: 2 });
      expect(r.status).toBe(400);
      expect(paths(r)).toEqual(['body.goldRate', 'body.overlap']);
      const kept = await p.lead.client.get<ProjectSettings>(`/api/projects/${p.id}/settings`);
      expect(kept.body).toMatchObject({ goldRate: 0 });
      expect(kept.body.overlap).toBeGreaterThanOrEqual(1);
    });

    it('names the member field: a bad role, an email that is no email, an unknown user', async () => {
      const role = await p.lead.client.post<ErrorBody>(`/api/projects/${p.id}/members`, { email: outsider.email, role: 'owner' });
      expect(role.status).toBe(400);
      expect(paths(role)).toEqual(['body.role']);
      const email = await p.lead.client.post<ErrorBody>(`/api/projects/${p.id}/members`, { email: 'not-an-email', role: 'trainer' });
      expect(email.status).toBe(400);
      expect(paths(email)).toEqual(['body.email']);
      const ghost = await p.lead.client.post<ErrorBody>(`/api/projects/${p.id}/members`, { email: `ghost-${randomUUID().slice(0, 6)}@example.com`, role: 'trainer' });
      expect(ghost.status).toBe(404);
      expect(ghost.body.error.details).toEqual([{ path: 'body.email', message: 'no user with this email' }]);
    });

    it('names a malformed path parameter', async () => {
      const r = await p.lead.client.get<ErrorBody>('/api/projects/not-a-uuid');
      expect(r.status).toBe(400);
      expect(paths(r)).toEqual(['params.projectId']);
    });
  });

  describe('404 for non-members, 403 for members without the role', () => {
    it('answers a non-member exactly as for a project that does not exist', async () => {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['PATCH', '', { name: 'taken over' }],
        ['GET', '/members', undefined],
        ['GET', '/items', undefined],
        ['PATCH', '/settings', { overlap: 2 }],
      ] as const) {
        const real = await outsider.client.request<ErrorBody>(method, `/api/projects/${p.id}${suffix}`, body);
        const ghost = await outsider.client.request<ErrorBody>(method, `/api/projects/${randomUUID()}${suffix}`, body);
        expect(real.status, `${method} ${suffix}`).toBe(404);
        expect(real.body, `${method} ${suffix}`).toEqual(ghost.body);
      }
      expect((await outsider.client.get<{ items: Project[] }>('/api/projects?status=all')).body.items).toEqual([]);
    });

    it('tells a member without the role that the role is missing (403), and a member with it succeeds', async () => {
      const asTrainer = await p.trainer.client.get<ErrorBody>(`/api/projects/${p.id}/items`);
      expect(asTrainer.status).toBe(403);
      expect(asTrainer.body.error.code).toBe('forbidden');
      expect((await p.reviewer.client.get(`/api/projects/${p.id}/items`)).status).toBe(200);
      const rename = await p.reviewer.client.patch<ErrorBody>(`/api/projects/${p.id}`, { name: 'by reviewer' });
      expect(rename.status).toBe(403);
      expect(rename.body.error.message).toMatch(/lead/);
      expect((await p.lead.client.get<Project>(`/api/projects/${p.id}`)).body.name).toBe(p.project.name);
    });

    it('turns a removed member into a non-member at once', async () => {
      const ex = await a.factory.user({ name: 'Soon gone' });
      await a.factory.addMember(p.id, ex, 'reviewer');
      expect((await ex.client.get(`/api/projects/${p.id}/items`)).status).toBe(200);
      expect((await p.lead.client.delete(`/api/projects/${p.id}/members/${ex.id}`)).status).toBe(200);
      expect((await ex.client.get(`/api/projects/${p.id}/items`)).status).toBe(404);
      expect((await ex.client.get(`/api/projects/${p.id}`)).status).toBe(404);
    });
  });

  describe('requests without our Origin', () => {
    it('refuses a state change from a signed-in browser without our Origin, and accepts the same with it', async () => {
      const foreign = await p.lead.client.patch<ErrorBody>(`/api/projects/${p.id}`, { description: 'csrf' }, { headers: { origin: 'https://evil.example' } });
      expect(foreign.status).toBe(403);
      expect(foreign.body.error.code).toBe('csrf_rejected');
      const missing = await p.lead.client.patch<ErrorBody>(`/api/projects/${p.id}`, { description: 'csrf' }, { origin: false });
      expect(missing.status).toBe(403);
      const ours = await p.lead.client.patch<Project>(`/api/projects/${p.id}`, { description: 'fine' });
      expect(ours.status).toBe(200);
      expect(ours.body.description).toBe('fine');
    });
  });
});
