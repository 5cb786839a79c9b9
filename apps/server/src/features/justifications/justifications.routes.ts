import { contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const justificationRoutes = [
  // The assignment's data (screen order, rubric version) is the judging feature's.
  bind(contracts.justifications.check, {
    handler: ({ deps, auth, project, params, body }) => deps.judging.checkJustification(project, auth.user.id, params.assignmentId, body),
  }),
  bind(contracts.justifications.report, {
    handler: ({ deps, project }) => deps.justifications.report(project.project.id, deps.judging.settings(project.project).justificationChecks),
  }),
];
