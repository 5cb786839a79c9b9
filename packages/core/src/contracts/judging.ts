import { OkSchema, pageOf } from '../schemas/common.ts';
import { ProjectParamsSchema } from '../schemas/projects.ts';
import {
  AssignmentParamsSchema,
  DraftSavedSchema,
  JudgmentListQuerySchema,
  JudgmentParamsSchema,
  JudgmentViewSchema,
  JudgmentSchema,
  ProjectSettingsSchema,
  QueueNextSchema,
  QueueProgressSchema,
  SaveDraftBodySchema,
  SubmitJudgmentBodySchema,
  SubmitQuerySchema,
  SubmitResultSchema,
  UpdateProjectSettingsBodySchema,
} from '../schemas/work.ts';
import { defineContracts } from './contract.ts';

const ANY_MEMBER = ['lead', 'reviewer', 'trainer'] as const;

export const judgingContracts = defineContracts('judging', {
  // ---- assignment settings
  settings: {
    method: 'get',
    path: '/api/projects/:projectId/settings',
    tag: 'assignment',
    summary: 'Assignment settings: overlap k, reservation minutes, gold rate, eligibility, model names (leads and reviewers; trainers never see the gold rate)',
    access: { project: ['lead', 'reviewer'] },
    params: ProjectParamsSchema,
    response: ProjectSettingsSchema,
  },
  updateSettings: {
    method: 'patch',
    path: '/api/projects/:projectId/settings',
    tag: 'assignment',
    summary: 'Change assignment settings (lead)',
    access: { project: ['lead'] },
    params: ProjectParamsSchema,
    body: UpdateProjectSettingsBodySchema,
    response: ProjectSettingsSchema,
  },

  // ---- the queue and judging
  progress: {
    method: 'get',
    path: '/api/projects/:projectId/queue',
    tag: 'judging',
    summary: 'Your queue progress: submitted, reserved, still available, left for you; whether you receive work',
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    response: QueueProgressSchema,
  },
  next: {
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
  },
  saveDraft: {
    method: 'put',
    path: '/api/projects/:projectId/assignments/:assignmentId/draft',
    tag: 'judging',
    summary: 'Autosave the draft of your judgment (any part may be incomplete)',
    access: { project: ANY_MEMBER },
    params: AssignmentParamsSchema,
    body: SaveDraftBodySchema,
    response: DraftSavedSchema,
    errors: ['conflict'],
  },
  submit: {
    method: 'post',
    path: '/api/projects/:projectId/assignments/:assignmentId/submit',
    tag: 'judging',
    summary: 'Submit your judgment; validated against the latest published rubric version; repeating it stores one judgment',
    description:
      'Refused with 400 naming the field when the judgment does not fit the rubric (unknown dimension, score out of scale, span outside the text, too few words). ' +
      'Submitting the same judgment again returns the stored one (200, `repeated: true`); a different one after submission is 409. ' +
      'With `?next=1` the answer also carries `next`, what `queue/next` would answer right after this submit (your next task, reserved for you, and your progress): ' +
      'the trainer loop is then one request per judgment. A refused submit reserves nothing.',
    access: { project: ANY_MEMBER },
    params: AssignmentParamsSchema,
    query: SubmitQuerySchema,
    body: SubmitJudgmentBodySchema,
    response: SubmitResultSchema,
    errors: ['conflict'],
  },
  release: {
    method: 'post',
    path: '/api/projects/:projectId/assignments/:assignmentId/release',
    tag: 'judging',
    summary: 'Skip: give a reserved item back to the pool (you will not get it again)',
    access: { project: ANY_MEMBER },
    params: AssignmentParamsSchema,
    response: OkSchema,
    errors: ['conflict'],
  },
  listJudgments: {
    method: 'get',
    path: '/api/projects/:projectId/judgments',
    tag: 'judging',
    summary: 'Submitted judgments with filters; trainers see only their own',
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    query: JudgmentListQuerySchema,
    response: pageOf(JudgmentSchema),
  },
  viewJudgment: {
    method: 'get',
    path: '/api/projects/:projectId/judgments/:judgmentId',
    tag: 'judging',
    summary: 'One submitted judgment with its item (as its trainer saw it) and rubric version, to read it; trainers see only their own',
    description: 'Another trainer\'s judgment is "not found" for a trainer: its existence is not revealed. Gold labels and other judgments are never included.',
    access: { project: ANY_MEMBER },
    params: JudgmentParamsSchema,
    response: JudgmentViewSchema,
    errors: ['not_found'],
  },
});
