import {
  AppError,
  AssignmentParamsSchema,
  DraftSavedSchema,
  SubmitResultSchema,
  JudgmentListQuerySchema,
  JudgmentSchema,
  OkSchema,
  pageOf,
  ProjectParamsSchema,
  ProjectSettingsSchema,
  QueueNextSchema,
  QueueProgressSchema,
  SaveDraftBodySchema,
  SubmitJudgmentBodySchema,
  UpdateProjectSettingsBodySchema,
} from '@accord/core';
import { route } from '../../platform/http/route.ts';

const ANY_MEMBER = ['lead', 'reviewer', 'trainer'] as const;

export const judgingRoutes = [
  // ---- assignment settings
  route({
    method: 'get',
    path: '/api/projects/:projectId/settings',
    tag: 'assignment',
    summary: 'Assignment settings: overlap k, reservation minutes, gold rate, eligibility, model names (leads and reviewers; trainers never see the gold rate)',
    access: { project: ['lead', 'reviewer'] },
    params: ProjectParamsSchema,
    response: ProjectSettingsSchema,
    handler: async ({ deps, project }) => deps.judging.settings(project.project),
  }),
  route({
    method: 'patch',
    path: '/api/projects/:projectId/settings',
    tag: 'assignment',
    summary: 'Change assignment settings (lead)',
    access: { project: ['lead'] },
    params: ProjectParamsSchema,
    body: UpdateProjectSettingsBodySchema,
    response: ProjectSettingsSchema,
    handler: ({ deps, auth, project, body }) => deps.judging.updateSettings(auth.user.id, project, body),
  }),

  // ---- the queue and judging
  route({
    method: 'get',
    path: '/api/projects/:projectId/queue',
    tag: 'judging',
    summary: 'Your queue progress: submitted, reserved, still available, left for you; whether you receive work',
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    response: QueueProgressSchema,
    handler: ({ deps, auth, project }) => deps.judging.progress(project, auth.user.id),
  }),
  route({
    method: 'post',
    path: '/api/projects/:projectId/queue/next',
    tag: 'judging',
    summary: 'Your current task: your open reservation, or a newly reserved item (null when the queue is done)',
    description:
      'Responses come in an order randomised for you and this item; judgments refer to responses by id. Gold items look like any other. ' +
      'Model names are included only when the project shows them to trainers (`showModelNames`). ' +
      'Other judgments of the item are never included.',
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    response: QueueNextSchema,
    handler: ({ deps, auth, project }) => deps.judging.next(project, auth.user.id),
  }),
  route({
    method: 'put',
    path: '/api/projects/:projectId/assignments/:assignmentId/draft',
    tag: 'judging',
    summary: 'Autosave the draft of your judgment (any part may be incomplete)',
    access: { project: ANY_MEMBER },
    params: AssignmentParamsSchema,
    body: SaveDraftBodySchema,
    response: DraftSavedSchema,
    handler: ({ deps, auth, project, params, body }) => deps.judging.saveDraft(project, auth.user.id, params.assignmentId, body),
  }),
  route({
    method: 'post',
    path: '/api/projects/:projectId/assignments/:assignmentId/submit',
    tag: 'judging',
    summary: 'Submit your judgment; validated against the latest published rubric version; repeating it stores one judgment',
    description:
      'Refused with 400 naming the field when the judgment does not fit the rubric (unknown dimension, score out of scale, span outside the text, too few words). ' +
      'Submitting the same judgment again returns the stored one (200, `repeated: true`); a different one after submission is 409.',
    access: { project: ANY_MEMBER },
    params: AssignmentParamsSchema,
    body: SubmitJudgmentBodySchema,
    response: SubmitResultSchema,
    handler: ({ deps, auth, project, params, body }) => deps.judging.submit(project, auth.user, params.assignmentId, body),
  }),
  route({
    method: 'post',
    path: '/api/projects/:projectId/assignments/:assignmentId/release',
    tag: 'judging',
    summary: 'Skip: give a reserved item back to the pool (you will not get it again)',
    access: { project: ANY_MEMBER },
    params: AssignmentParamsSchema,
    response: OkSchema,
    async handler({ deps, auth, project, params }) {
      await deps.judging.release(project, auth.user.id, params.assignmentId);
      return { ok: true as const };
    },
  }),
  route({
    method: 'get',
    path: '/api/projects/:projectId/judgments',
    tag: 'judging',
    summary: 'Submitted judgments with filters; trainers see only their own',
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    query: JudgmentListQuerySchema,
    response: pageOf(JudgmentSchema),
    handler: ({ deps, auth, project, query }) => {
      if (project.role === 'trainer' && query.userId && query.userId !== auth.user.id) throw new AppError('forbidden', 'Trainers see only their own judgments.');
      return deps.judging.list(project, auth.user.id, query);
    },
  }),
];
