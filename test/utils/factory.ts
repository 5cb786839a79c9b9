/**
 * Tests build the world they assert on: users, a project with a member of every role, items and a
 * published rubric, all through the public API (signed in as an admin), except the rubric draft,
 * which is a live document and is written through the server's rubric service like the demo seed
 * does. Works against a listening server (createTestServer) and in-process (createTestApp) alike.
 */
import { randomUUID } from 'node:crypto';
import type { Project, ProjectRole, RubricDraft, RubricVersion, TaskKind, User } from '@accord/core';
import type { Deps } from '@accord/server';
import type { ApiClient, ApiResponse } from './client.ts';
import { importFile, jsonlOf, pairItem } from './work.ts';

export interface FactoryUser {
  id: string;
  email: string;
  name: string;
  password: string;
  /** Signed in as this user (its own cookie jar). */
  client: ApiClient;
}

export interface FactoryProject {
  id: string;
  project: Project;
  lead: FactoryUser;
  reviewer: FactoryUser;
  /** The first of `trainers`. */
  trainer: FactoryUser;
  trainers: FactoryUser[];
  /** External ids of the imported items, in file order. */
  items: string[];
  /** The published rubric version, or null with `rubric: false`. */
  rubricVersion: number | null;
}

export interface ProjectOptions {
  name?: string;
  taskKind?: TaskKind;
  /** How many generated pairwise items to import (default 3), or the rows of the file. */
  items?: number | unknown[];
  /** How many trainer members (default 1). */
  trainers?: number;
  /** PATCHed to /settings after import (default: no gold items, so queues are predictable). */
  settings?: Record<string, unknown>;
  /** The rubric to publish as version 1 (default FACTORY_RUBRIC); false publishes none. */
  rubric?: RubricDraft | false;
}

export interface Factory {
  /** The admin every call goes through. */
  admin: ApiClient;
  user(o?: { name?: string; isAdmin?: boolean }): Promise<FactoryUser>;
  /** A user created by the admin, not signed in (signing in costs a password hash on the server). */
  account(o?: { name?: string; isAdmin?: boolean }): Promise<Omit<FactoryUser, 'client'>>;
  project(o?: ProjectOptions): Promise<FactoryProject>;
  /** Adds an existing user to the project with this role (as the admin). */
  addMember(projectId: string, user: Pick<FactoryUser, 'email'>, role: ProjectRole): Promise<void>;
  /** Replaces the live draft and publishes it; returns the new version. */
  publishRubric(p: Pick<FactoryProject, 'id' | 'lead'>, rubric?: RubricDraft, note?: string): Promise<RubricVersion>;
}

/** A small valid rubric: one score per response, one for the comparison, 5–60 words of justification. */
export const FACTORY_RUBRIC: RubricDraft = {
  dimensions: [
    {
      id: 'helpfulness',
      name: 'Helpfulness',
      description: 'Does the response do what the prompt asks?',
      scale: { kind: 'likert', min: 1, max: 3 },
      levels: [1, 2, 3].map((value) => ({ value, label: `Level ${value}`, anchor: `What level ${value} means.` })),
      weight: 1,
      target: 'response',
    },
    {
      id: 'overall',
      name: 'Overall',
      description: 'Is the preferred response clearly better?',
      scale: { kind: 'binary' },
      levels: [0, 1].map((value) => ({ value, label: value ? 'Yes' : 'No', anchor: value ? 'Clearly better.' : 'Not clearly better.' })),
      weight: 1,
      target: 'comparison',
    },
  ],
  precedence: [],
  justification: { minWords: 5, maxWords: 60 },
  spanCategories: [{ id: 'hallucination', name: 'Hallucination', description: 'Invented facts.' }],
  flags: [{ id: 'broken', name: 'Item is broken', description: 'Truncated or garbled.' }],
  rating: null,
  taxonomy: null,
};

/** Fails with the response when the status is not the expected one, so setup errors read clearly. */
function expectStatus<T>(r: ApiResponse<T>, status: number, what: string): T {
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.text}`);
  return r.body;
}

/**
 * `deps` is the running server's (createTestServer: `t.server.deps`; createTestApp: `app.deps`);
 * only the rubric draft is written through it.
 */
export function createFactory(admin: ApiClient, deps: Pick<Deps, 'rubrics'>): Factory {
  let n = 0;
  const tag = () => `${(n++).toString(36)}-${randomUUID().slice(0, 8)}`;

  async function account(o: { name?: string; isAdmin?: boolean } = {}): Promise<Omit<FactoryUser, 'client'>> {
    const t = tag();
    const email = `f-${t}@example.com`;
    const name = o.name ?? `Factory user ${t}`;
    const password = `factory password ${t}`;
    const created = expectStatus(await admin.post<User>('/api/users', { email, name, password, isAdmin: o.isAdmin ?? false }), 201, `create user ${email}`);
    return { id: created.id, email, name, password };
  }

  async function user(o: { name?: string; isAdmin?: boolean } = {}): Promise<FactoryUser> {
    const a = await account(o);
    const client = admin.fresh();
    await client.login(a.email, a.password);
    return { ...a, client };
  }

  async function addMember(projectId: string, u: Pick<FactoryUser, 'email'>, role: ProjectRole) {
    expectStatus(await admin.post(`/api/projects/${projectId}/members`, { email: u.email, role }), 201, `add ${u.email} as ${role}`);
  }

  async function publishRubric(p: Pick<FactoryProject, 'id' | 'lead'>, rubric: RubricDraft = FACTORY_RUBRIC, note = 'factory rubric') {
    await deps.rubrics.writeDraft(p.id, rubric);
    return expectStatus(await p.lead.client.post<RubricVersion>(`/api/projects/${p.id}/rubric/publish`, { note }), 201, 'publish the rubric');
  }

  async function project(o: ProjectOptions = {}): Promise<FactoryProject> {
    const [lead, reviewer, ...trainers] = await Promise.all([user({ name: 'Lead' }), user({ name: 'Reviewer' }), ...Array.from({ length: o.trainers ?? 1 }, (_, i) => user({ name: `Trainer ${i + 1}` }))]);
    if (!lead || !reviewer || !trainers[0]) throw new Error('a factory project needs at least one trainer');
    // The admin creates it (and so becomes its lead), hands it to the lead and steps out: like the
    // demo project, the admin reaches it through admin rights, not membership.
    const created = expectStatus(await admin.post<Project>('/api/projects', { name: o.name ?? `Factory project ${tag()}`, taskKind: o.taskKind ?? 'pairwise' }), 201, 'create the project');
    const id = created.id;
    await addMember(id, lead, 'lead');
    await addMember(id, reviewer, 'reviewer');
    for (const t of trainers) await addMember(id, t, 'trainer');
    const me = expectStatus(await admin.get<{ user: User }>('/api/auth/me'), 200, 'who is the admin');
    expectStatus(await admin.delete(`/api/projects/${id}/members/${me.user.id}`), 200, 'the admin leaves the project');

    const rows = Array.isArray(o.items) ? o.items : Array.from({ length: o.items ?? 3 }, (_, i) => pairItem(`item-${i}-${tag()}`));
    const items = rows.map((r) => String((r as { externalId?: unknown }).externalId));
    if (rows.length > 0) {
      const job = await importFile(lead.client, id, jsonlOf(rows));
      if (job.status !== 'done' || job.rejected > 0) throw new Error(`factory import ended ${job.status}: ${JSON.stringify(job)}`);
    }
    expectStatus(await lead.client.patch(`/api/projects/${id}/settings`, { goldRate: 0, ...o.settings }), 200, 'project settings');
    const rubricVersion = o.rubric === false ? null : (await publishRubric({ id, lead }, o.rubric ?? FACTORY_RUBRIC)).version;
    const project = expectStatus(await lead.client.get<Project>(`/api/projects/${id}`), 200, 'read the project back');
    return { id, project, lead, reviewer, trainer: trainers[0], trainers, items, rubricVersion };
  }

  return { admin, user, account, project, addMember, publishRubric };
}
