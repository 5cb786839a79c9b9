import { contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const rubricRoutes = [
  bind(contracts.rubrics.state, {
    handler: ({ deps, project }) => deps.rubrics.state(project.project.id, project.role),
  }),
  bind(contracts.rubrics.versions, {
    handler: async ({ deps, project }) => ({ items: await deps.rubrics.versions(project.project.id) }),
  }),
  bind(contracts.rubrics.version, {
    handler: ({ deps, project, params }) => deps.rubrics.version(project.project.id, params.version),
  }),
  bind(contracts.rubrics.publish, {
    handler: ({ deps, auth, project, body }) => deps.rubrics.publish(auth.user.id, project.project.id, body.note, project.project.taskKind),
  }),
  bind(contracts.rubrics.diff, {
    handler: ({ deps, project, query }) => deps.rubrics.diff(project.project.id, query.from, query.to),
  }),
];
