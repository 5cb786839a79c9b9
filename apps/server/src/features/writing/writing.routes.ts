import { contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const writingRoutes = [
  bind(contracts.writing.list, {
    handler: ({ deps, auth, project, query }) => deps.writing.list(project, auth.user.id, query),
  }),
  bind(contracts.writing.agreement, {
    handler: ({ deps, project }) => deps.writing.agreement(project),
  }),
  bind(contracts.writing.get, {
    handler: ({ deps, auth, project, params }) => deps.writing.get(project, auth.user.id, params.judgmentId),
  }),
  bind(contracts.writing.review, {
    handler: ({ deps, auth, project, params, body }) => deps.writing.review(project, auth.user.id, params.judgmentId, body),
  }),
  bind(contracts.writing.revise, {
    handler: ({ deps, auth, project, params, body }) => deps.writing.revise(project, auth.user.id, params.judgmentId, body),
  }),
];
