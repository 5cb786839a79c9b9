import { ProjectParamsSchema } from '../schemas/projects.ts';
import { JustificationCheckResultSchema, JustificationReportSchema } from '../schemas/justifications.ts';
import { AssignmentParamsSchema, JustificationCheckBodySchema } from '../schemas/work.ts';
import { defineContracts } from './contract.ts';

export const justificationsContracts = defineContracts('justifications', {
  check: {
    method: 'post',
    path: '/api/projects/:projectId/assignments/:assignmentId/justification-check',
    tag: 'judging',
    summary: 'Check the justification of the judgment you are writing: the findings a submit would get, and which of them this project refuses',
    description:
      'Takes the draft as it stands (canonical terms, as autosaved) and how the justification was entered (`typing`, as the client counts it). ' +
      'Findings: `contradicts` (the text argues for another response than the preference, read in your screen letters), `missingDimensions` ' +
      '(the dimensions you scored lowest are not mentioned), `nearCopy` (nearly identical to another justification in this project — which one is never said), ' +
      '`pasted` (mostly pasted rather than typed). Nothing is stored. Submitting runs the same checks; those in `block` refuse it with 400.',
    access: { project: ['lead', 'reviewer', 'trainer'] },
    params: AssignmentParamsSchema,
    body: JustificationCheckBodySchema,
    response: JustificationCheckResultSchema,
  },
  report: {
    method: 'get',
    path: '/api/projects/:projectId/justifications/report',
    tag: 'quality',
    summary: 'Justification quality per trainer and for the project: judgments checked, and each finding’s count and rate (leads and reviewers)',
    access: { project: ['lead', 'reviewer'] },
    params: ProjectParamsSchema,
    response: JustificationReportSchema,
  },
});
