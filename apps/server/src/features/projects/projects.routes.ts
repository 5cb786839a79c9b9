import { AppError, contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const projectRoutes = [
  bind(contracts.projects.list, {
    handler: ({ deps, auth, query }) => deps.projects.list(auth.user, query, deps.judging.eligibility),
  }),
  bind(contracts.projects.create, {
    async handler({ deps, auth, body }) {
      if (!(await deps.projects.canCreate(auth.user))) throw new AppError('forbidden', 'Only admins and project leads can create projects.');
      return deps.projects.create(auth.user, body);
    },
  }),
  bind(contracts.projects.get, {
    handler: ({ deps, project }) => deps.projects.get(project),
  }),
  bind(contracts.projects.update, {
    async handler({ deps, auth, project, body }) {
      // An archived project is read-only except for being unarchived.
      if (project.project.archivedAt && body.archived !== false)
        throw new AppError('project_archived', 'This project is archived; unarchive it first.');
      return deps.projects.update(auth.user.id, project, body);
    },
  }),
  bind(contracts.projects.listMembers, {
    handler: async ({ deps, project, query }) => ({ items: await deps.projects.members(project.project.id, query) }),
  }),
  bind(contracts.projects.addMember, {
    handler: ({ deps, auth, project, body }) => deps.projects.addMember(auth.user.id, project.project.id, body.email, body.role),
  }),
  bind(contracts.projects.updateMember, {
    handler: ({ deps, auth, project, params, body }) => deps.projects.updateMember(auth.user.id, project.project.id, params.userId, body),
  }),
  bind(contracts.projects.removeMember, {
    async handler({ deps, auth, project, params }) {
      await deps.projects.removeMember(auth.user.id, project.project.id, params.userId);
      return { ok: true as const };
    },
  }),
  bind(contracts.projects.listItems, {
    handler: ({ deps, project, query }) => deps.projects.items(project.project.id, query, project.role === 'lead'),
  }),
];
