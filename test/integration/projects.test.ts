import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '@accord/db/testing';
import type { Item, Member, Project } from '@accord/core';
import { ApiClient, type ErrorBody } from '../utils/client.ts';
import { createFactory, type Factory } from '../utils/factory.ts';
import { createTestServer, type TestServer } from '../utils/server.ts';

type Page<T> = { items: T[]; total: number; limit: number; offset: number };

const kinds = await testDatabaseKinds();

describe.each(kinds)('projects, members and items (%s)', (kind) => {
  let t: TestServer;
  let admin: ApiClient;
  let lead: ApiClient;
  let factory: Factory;
  beforeAll(async () => {
    t = await createTestServer(kind);
    admin = await t.as('admin');
    lead = await t.as('lead');
    factory = createFactory(admin, t.server.deps);
  });
  afterAll(() => t?.close());

  it('seeds a demo project with 60 real PandaLM items and a member for every role', async () => {
    const p = await lead.get<Project>(`/api/projects/${t.demoProjectId}`);
    expect(p.body).toMatchObject({ name: 'PandaLM pairwise demo', taskKind: 'pairwise', myRole: 'lead', counts: { members: 6, items: 60 } });
    const members = await lead.get<{ items: Member[] }>(`/api/projects/${t.demoProjectId}/members`);
    expect(members.body.items.map((m) => m.role).sort()).toEqual(['lead', 'reviewer', 'trainer', 'trainer', 'trainer', 'trainer']);
    // In file order by default: pandalm-0, pandalm-16, pandalm-32, …
    const inOrder = await lead.get<Page<Item>>(`/api/projects/${t.demoProjectId}/items?limit=3`);
    expect(inOrder.body.items.map((i) => i.externalId)).toEqual(['pandalm-0', 'pandalm-16', 'pandalm-32']);
    const items = await lead.get<Page<Item>>(`/api/projects/${t.demoProjectId}/items?limit=5&sort=externalId`);
    expect(items.body.total).toBe(60);
    expect(items.body.items[0]!.responses).toHaveLength(2);
    expect(items.body.items[0]!.responses[0]!.model).toMatch(/llama|bloom|cerebras|opt|pythia/);
    expect(t.logins.map((l) => l.role).sort()).toEqual(['admin', 'lead', 'reviewer', 'trainer', 'trainer', 'trainer', 'trainer']);
  });

  it('creates, lists with filters and sorting, renames, archives and unarchives', async () => {
    const name = `Helpfulness ${randomUUID().slice(0, 6)}`;
    const created = await lead.post<Project>('/api/projects', { name, description: 'Rank three answers', taskKind: 'ranking' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, taskKind: 'ranking', archived: false, myRole: 'lead', counts: { members: 1, items: 0 } });
    const id = created.body.id;

    const found = await lead.get<Page<Project>>(`/api/projects?q=${encodeURIComponent(name.slice(0, 14))}`);
    expect(found.body.items.map((p) => p.id)).toContain(id);
    const byName = await lead.get<Page<Project>>('/api/projects?sort=name&order=asc');
    const names = byName.body.items.map((p) => p.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));

    const renamed = await lead.patch<Project>(`/api/projects/${id}`, { name: `${name} v2` });
    expect(renamed.body.name).toBe(`${name} v2`);
    const archived = await lead.patch<Project>(`/api/projects/${id}`, { archived: true });
    expect(archived.body.archived).toBe(true);
    expect((await lead.get<Page<Project>>('/api/projects')).body.items.map((p) => p.id)).not.toContain(id);
    expect((await lead.get<Page<Project>>('/api/projects?status=archived')).body.items.map((p) => p.id)).toContain(id);
    // Archived projects are read-only: no renames, no member changes; unarchiving is allowed.
    const rename = await lead.patch<ErrorBody>(`/api/projects/${id}`, { name: 'nope' });
    expect(rename.status).toBe(409);
    expect(rename.body.error.code).toBe('project_archived');
    const add = await lead.post<ErrorBody>(`/api/projects/${id}/members`, { email: 'trainer1@accord.local', role: 'trainer' });
    expect(add.body.error.code).toBe('project_archived');
    const back = await lead.patch<Project>(`/api/projects/${id}`, { archived: false });
    expect(back.body.archived).toBe(false);
  });

  it('manages members: add by email, change role, remove; the last lead stays', async () => {
    const p = (await lead.post<Project>('/api/projects', { name: 'Members test' })).body;
    const base = `/api/projects/${p.id}/members`;
    const added = await lead.post<Member>(base, { email: 'Trainer2@Accord.local', role: 'trainer' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ email: 'trainer2@accord.local', role: 'trainer', active: true });
    const again = await lead.post<ErrorBody>(base, { email: 'trainer2@accord.local', role: 'reviewer' });
    expect(again.status).toBe(409);
    const unknown = await lead.post<ErrorBody>(base, { email: 'ghost@example.com', role: 'trainer' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.details).toEqual([{ path: 'body.email', message: 'no user with this email' }]);

    const trainer2 = await t.as('trainer2');
    expect((await trainer2.get<Project>(`/api/projects/${p.id}`)).body.myRole).toBe('trainer');
    const promoted = await lead.patch<Member>(`${base}/${added.body.userId}`, { role: 'reviewer' });
    expect(promoted.body.role).toBe('reviewer');
    expect((await trainer2.get<Project>(`/api/projects/${p.id}`)).body.myRole).toBe('reviewer');

    const me = (await lead.get<{ user: { id: string } }>('/api/auth/me')).body.user.id;
    const demote = await lead.patch<ErrorBody>(`${base}/${me}`, { role: 'trainer' });
    expect(demote.status).toBe(409);
    expect(demote.body.error.details).toEqual([{ path: 'body.role', message: 'the last lead cannot be demoted' }]);
    expect((await lead.delete<ErrorBody>(`${base}/${me}`)).status).toBe(409);

    expect((await lead.delete(`${base}/${added.body.userId}`)).status).toBe(200);
    expect((await trainer2.get(`/api/projects/${p.id}`)).status).toBe(404);
    const filtered = await lead.get<{ items: Member[] }>(`${base}?role=lead`);
    expect(filtered.body.items.map((m) => m.role)).toEqual(['lead']);
  });

  it("sets a member's tier and domain tags: validated, normalised, kept when the role changes; leads only", async () => {
    const p = (await lead.post<Project>('/api/projects', { name: 'Eligibility test' })).body;
    const base = `/api/projects/${p.id}/members`;
    const added = (await lead.post<Member>(base, { email: 'trainer3@accord.local', role: 'trainer' })).body;
    expect(added).toMatchObject({ tier: 1, tags: [] });

    const set = await lead.patch<Member>(`${base}/${added.userId}`, { tier: 3, tags: [' Medicine ', 'LAW', 'medicine'] });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ role: 'trainer', tier: 3, tags: ['medicine', 'law'] });
    const listed = (await lead.get<{ items: Member[] }>(base)).body.items.find((m) => m.userId === added.userId);
    expect(listed).toMatchObject({ tier: 3, tags: ['medicine', 'law'] });
    // Trainers see the list (read-only) with the same fields.
    const trainer3 = await t.as('trainer3');
    expect((await trainer3.get<{ items: Member[] }>(base)).body.items.find((m) => m.userId === added.userId)).toMatchObject({ tier: 3 });

    const promoted = await lead.patch<Member>(`${base}/${added.userId}`, { role: 'reviewer' });
    expect(promoted.body).toMatchObject({ role: 'reviewer', tier: 3, tags: ['medicine', 'law'] });
    const cleared = await lead.patch<Member>(`${base}/${added.userId}`, { tags: [] });
    expect(cleared.body).toMatchObject({ role: 'reviewer', tier: 3, tags: [] });

    const empty = await lead.patch<ErrorBody>(`${base}/${added.userId}`, {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/at least one of role, tier, tags/);
    const bad = await lead.patch<ErrorBody>(`${base}/${added.userId}`, { tier: 0, tags: ['ok', 'x'.repeat(41), ' '] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details!.map((d) => d.path).sort()).toEqual(['body.tags.1', 'body.tags.2', 'body.tier']);
    const many = await lead.patch<ErrorBody>(`${base}/${added.userId}`, { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) });
    expect(many.body.error.details).toEqual([{ path: 'body.tags', message: expect.stringMatching(/at most 20/) }]);
    expect((await lead.patch(`${base}/${added.userId}`, { tier: 2.5 })).status).toBe(400);
    expect((await lead.patch(`${base}/${added.userId}`, { tier: 2, level: 3 })).status).toBe(400);
    expect((await trainer3.patch(`${base}/${added.userId}`, { tier: 5 })).status).toBe(403);
    expect((await lead.get<{ items: Member[] }>(base)).body.items.find((m) => m.userId === added.userId)).toMatchObject({ tier: 3, tags: [] });
  });

  it('admins see every project and act as lead; trainers cannot create projects or browse items', async () => {
    const p = await factory.project({ items: 1, rubric: false });
    const seen = await admin.get<Page<Project>>('/api/projects?limit=500');
    expect(seen.body.items.find((x) => x.id === p.id)?.myRole).toBe('lead');
    const trainer = p.trainer.client;
    expect((await trainer.post<ErrorBody>('/api/projects', { name: 'Mine' })).status).toBe(403);
    expect((await trainer.get(`/api/projects/${p.id}/items`)).status).toBe(403);
    expect((await trainer.get<Page<Project>>('/api/projects')).body.items.map((x) => x.id)).toEqual([p.id]);
    // A lead cannot take an admin's oversight away by enrolling them below lead (nor demote them later); an admin may.
    const adminEmail = (await admin.get<{ user: { email: string; id: string } }>('/api/auth/me')).body.user;
    const asTrainer = await p.lead.client.post<ErrorBody>(`/api/projects/${p.id}/members`, { email: adminEmail.email, role: 'trainer' });
    expect(asTrainer.status).toBe(403);
    expect(asTrainer.body.error.details?.[0]?.path).toBe('body.role');
    expect((await p.lead.client.post(`/api/projects/${p.id}/members`, { email: adminEmail.email, role: 'lead' })).status).toBe(201);
    expect((await p.lead.client.patch<ErrorBody>(`/api/projects/${p.id}/members/${adminEmail.id}`, { role: 'reviewer' })).status).toBe(403);
    expect((await admin.patch(`/api/projects/${p.id}/members/${adminEmail.id}`, { role: 'reviewer' })).status).toBe(200);
    expect((await admin.get(`/api/projects/${p.id}/exports/judgments/count`)).status).toBe(403);
    expect((await p.lead.client.patch(`/api/projects/${p.id}/members/${adminEmail.id}`, { role: 'lead' })).status).toBe(200);
  });

  it('shows gold labels to leads only', async () => {
    const p = await factory.project({ items: 2, rubric: false });
    const ext = p.items[0]!;
    const { items } = await import('@accord/db');
    const { and, eq } = await import('drizzle-orm');
    await t.db.db.update(items).set({ gold: { winner: 'r1' } }).where(and(eq(items.projectId, p.id), eq(items.externalId, ext)));
    const q = `q=${encodeURIComponent(ext)}&limit=1&sort=externalId`;
    const asLead = await p.lead.client.get<Page<Item>>(`/api/projects/${p.id}/items?${q}`);
    expect(asLead.body.items[0]!.gold).toEqual({ winner: 'r1' });
    const asReviewer = await p.reviewer.client.get<Page<Item>>(`/api/projects/${p.id}/items?${q}`);
    expect(asReviewer.body.items[0]!.externalId).toBe(ext);
    expect(asReviewer.body.items[0]!.gold).toBeNull();
  });

  it('treats search text as text, not as SQL or LIKE patterns', async () => {
    const r = await lead.get<Page<Project>>(`/api/projects?q=${encodeURIComponent("%' or 1=1 --")}`);
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([]);
    const all = await lead.get<Page<Project>>(`/api/projects?q=${encodeURIComponent('%')}`);
    expect(all.body.items).toEqual([]);
  });
});
