import { z } from 'zod';
import {
  AddMemberBodySchema,
  AppError,
  CreateProjectBodySchema,
  ItemListQuerySchema,
  ItemSchema,
  MemberListQuerySchema,
  MemberParamsSchema,
  MemberSchema,
  OkSchema,
  pageOf,
  ProjectListQuerySchema,
  ProjectParamsSchema,
  ProjectSchema,
  UpdateMemberBodySchema,
  UpdateProjectBodySchema,
} from '@accord/core';
import { route } from '../../platform/http/route.ts';

const ANY_MEMBER = ['lead', 'reviewer', 'trainer'] as const;

export const projectRoutes = [
  route({
    method: 'get',
    path: '/api/projects',
    tag: 'projects',
    summary: 'Projects you are a member of (admins: all projects)',
    access: 'user',
    query: ProjectListQuerySchema,
    response: pageOf(ProjectSchema),
    handler: ({ deps, auth, query }) => deps.projects.list(auth.user, query),
  }),
  route({
    method: 'post',
    path: '/api/projects',
    tag: 'projects',
    summary: 'Create a project; you become its lead (admins, and users who lead a project)',
    access: 'user',
    body: CreateProjectBodySchema,
    response: ProjectSchema,
    status: 201,
    async handler({ deps, auth, body }) {
      if (!(await deps.projects.canCreate(auth.user))) throw new AppError('forbidden', 'Only admins and project leads can create projects.');
      return deps.projects.create(auth.user, body);
    },
  }),
  route({
    method: 'get',
    path: '/api/projects/:projectId',
    tag: 'projects',
    summary: 'One project',
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    response: ProjectSchema,
    handler: ({ deps, project }) => deps.projects.get(project),
  }),
  route({
    method: 'patch',
    path: '/api/projects/:projectId',
    tag: 'projects',
    summary: 'Rename, describe, archive or unarchive a project (lead)',
    access: { project: ['lead'] },
    allowArchived: true,
    params: ProjectParamsSchema,
    body: UpdateProjectBodySchema,
    response: ProjectSchema,
    async handler({ deps, auth, project, body }) {
      // An archived project is read-only except for being unarchived.
      if (project.project.archivedAt && body.archived !== false)
        throw new AppError('project_archived', 'This project is archived; unarchive it first.');
      return deps.projects.update(auth.user.id, project, body);
    },
  }),
  route({
    method: 'get',
    path: '/api/projects/:projectId/members',
    tag: 'members',
    summary: "A project's members and their roles",
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    query: MemberListQuerySchema,
    response: z.object({ items: z.array(MemberSchema) }),
    handler: async ({ deps, project, query }) => ({ items: await deps.projects.members(project.project.id, query) }),
  }),
  route({
    method: 'post',
    path: '/api/projects/:projectId/members',
    tag: 'members',
    summary: 'Add an existing user to the project with a role (lead)',
    access: { project: ['lead'] },
    params: ProjectParamsSchema,
    body: AddMemberBodySchema,
    response: MemberSchema,
    status: 201,
    handler: ({ deps, auth, project, body }) => deps.projects.addMember(auth.user.id, project.project.id, body.email, body.role),
  }),
  route({
    method: 'patch',
    path: '/api/projects/:projectId/members/:userId',
    tag: 'members',
    summary: "Change a member's role, tier or domain tags (lead); a project keeps at least one lead",
    access: { project: ['lead'] },
    params: MemberParamsSchema,
    body: UpdateMemberBodySchema,
    response: MemberSchema,
    handler: ({ deps, auth, project, params, body }) => deps.projects.updateMember(auth.user.id, project.project.id, params.userId, body),
  }),
  route({
    method: 'delete',
    path: '/api/projects/:projectId/members/:userId',
    tag: 'members',
    summary: 'Remove a member (lead); their live connections lose access at once',
    access: { project: ['lead'] },
    params: MemberParamsSchema,
    response: OkSchema,
    async handler({ deps, auth, project, params }) {
      await deps.projects.removeMember(auth.user.id, project.project.id, params.userId);
      return { ok: true as const };
    },
  }),
  route({
    method: 'get',
    path: '/api/projects/:projectId/items',
    tag: 'items',
    summary: "Browse a project's items (lead, reviewer); gold labels are shown to leads only",
    access: { project: ['lead', 'reviewer'] },
    params: ProjectParamsSchema,
    query: ItemListQuerySchema,
    response: pageOf(ItemSchema),
    handler: ({ deps, project, query }) => deps.projects.items(project.project.id, query, project.role === 'lead'),
  }),
];
