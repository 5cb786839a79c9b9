import { contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const importRoutes = [
  bind(contracts.imports.start, {
    handler: ({ c, deps, auth, project, query }) => {
      const len = c.req.header('content-length');
      return deps.imports.start(auth.user.id, project.project.id, project.project.taskKind, query, c.req.raw.body, len && /^\d+$/.test(len) ? Number(len) : null);
    },
  }),
  bind(contracts.imports.list, {
    handler: async ({ deps, project }) => ({ items: await deps.imports.list(project.project.id, 50) }),
  }),
  bind(contracts.imports.get, {
    handler: ({ deps, project, params }) => deps.imports.get(project.project.id, params.jobId),
  }),
];
