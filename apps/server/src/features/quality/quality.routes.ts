import { contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const qualityRoutes = [
  bind(contracts.quality.agreement, {
    handler: ({ deps, project, query }) => deps.quality.agreement(project.project, query),
  }),
  bind(contracts.quality.trainers, {
    handler: ({ deps, project, query }) => deps.quality.annotators(project.project, query),
  }),
  bind(contracts.quality.leaderboard, {
    handler: ({ deps, project, query }) => deps.quality.leaderboard(project.project, query),
  }),
  bind(contracts.quality.myStats, {
    handler: ({ deps, auth, project }) => deps.quality.myStats(project.project, auth.user.id, project.role === 'trainer'),
  }),
  bind(contracts.quality.listFlags, {
    handler: ({ deps, project, query }) => deps.quality.listFlags(project.project, query),
  }),
  bind(contracts.quality.clearFlag, {
    handler: ({ deps, auth, project, params, body }) => deps.quality.clearFlag(project.project, params.flagId, auth.user.id, body.reason),
  }),
];
