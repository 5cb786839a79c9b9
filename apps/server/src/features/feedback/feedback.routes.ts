import { AppError, contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const feedbackRoutes = [
  bind(contracts.feedback.create, {
    handler: ({ deps, auth, project, params, body }) => deps.feedback.create(project, auth.user.id, params.judgmentId, body),
  }),
  bind(contracts.feedback.forJudgment, {
    handler: ({ deps, auth, project, params }) => deps.feedback.forJudgment(project, auth.user.id, params.judgmentId),
  }),
  bind(contracts.feedback.list, {
    handler: ({ deps, auth, project, query }) => {
      if (project.role === 'trainer' && query.userId && query.userId !== auth.user.id) throw new AppError('forbidden', 'Trainers see only the feedback on their own judgments.');
      return deps.feedback.list(project, auth.user.id, query);
    },
  }),
];
