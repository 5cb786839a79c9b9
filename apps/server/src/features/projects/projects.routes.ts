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
    async handler({ deps, auth, project, query }) {
      if (project.role !== 'trainer') return { items: await deps.projects.members(project.project.id, query) };
      // A lead's pause (its reason) and calibration enrolment (its note) are the lead's word on that
      // member's work: a trainer sees their own (as on `standing`), never another's, nor filters by them.
      if (query.paused !== undefined || query.calibration !== undefined)
        throw new AppError('forbidden', 'Trainers do not see which members are paused or enrolled in calibration.', [
          { path: query.paused !== undefined ? 'query.paused' : 'query.calibration', message: 'is for leads and reviewers' },
        ]);
      // Nor other trainers at all (who they are, their emails, tiers and domains): a trainer sees
      // themselves and the project's leads and reviewers, the people to ask.
      const items = await deps.projects.members(project.project.id, query);
      return {
        items: items.filter((m) => m.userId === auth.user.id || m.role !== 'trainer').map((m) => (m.userId === auth.user.id ? m : { ...m, paused: null, calibration: null })),
      };
    },
  }),
  bind(contracts.projects.addMember, {
    handler: ({ deps, auth, project, body }) => deps.projects.addMember(auth.user.id, project.project.id, body.email, body.role, auth.user.isAdmin),
  }),
  bind(contracts.projects.updateMember, {
    handler: ({ deps, auth, project, params, body }) => deps.projects.updateMember(auth.user.id, project.project.id, params.userId, body, auth.user.isAdmin),
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
