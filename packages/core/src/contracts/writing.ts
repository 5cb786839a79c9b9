/** SFT writing: reviewers' queue of writings, a writing with its versions, diffs and reviews, review, revision, agreement. */
import { pageOf } from '../schemas/common.ts';
import { ProjectParamsSchema } from '../schemas/projects.ts';
import {
  WritingAgreementSchema,
  WritingDetailSchema,
  WritingListQuerySchema,
  WritingParamsSchema,
  WritingReviewBodySchema,
  WritingReviseBodySchema,
  WritingSummarySchema,
} from '../schemas/writing.ts';
import { defineContracts } from './contract.ts';

const ANY_MEMBER = ['lead', 'reviewer', 'trainer'] as const;

export const writingContracts = defineContracts('writing', {
  list: {
    method: 'get',
    path: '/api/projects/:projectId/writings',
    tag: 'writing',
    summary: "Writings of an SFT writing project, those sent back first, then the oldest waiting: trainers get their own only; leads and reviewers everyone's",
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    query: WritingListQuerySchema,
    response: pageOf(WritingSummarySchema),
  },
  agreement: {
    method: 'get',
    path: '/api/projects/:projectId/writings/agreement',
    tag: 'writing',
    summary: "Reviewers' scores per rubric dimension (distribution, mean, Krippendorff's α interval and ordinal where two reviewers scored one version) and the acceptance rate (lead, reviewer)",
    access: { project: ['lead', 'reviewer'] },
    params: ProjectParamsSchema,
    response: WritingAgreementSchema,
  },
  get: {
    method: 'get',
    path: '/api/projects/:projectId/writings/:judgmentId',
    tag: 'writing',
    summary: "A writing with every version, its word diff against the model response it rewrites, and its reviews: leads and reviewers any, trainers their own (someone else's is 404)",
    access: { project: ANY_MEMBER },
    params: WritingParamsSchema,
    response: WritingDetailSchema,
  },
  review: {
    method: 'post',
    path: '/api/projects/:projectId/writings/:judgmentId/reviews',
    tag: 'writing',
    summary: 'Review the latest version of a writing (reviewer, lead): a score per rubric dimension, then accept or send back with feedback',
    description:
      'Scores name every dimension of the newest published rubric, each a level of its scale (400 naming the field). Sending back needs feedback; the feedback is also left on the judgment (see feedback). ' +
      'Nobody reviews their own writing (403); a version is reviewed once per reviewer, and a writing sent back takes no review until it is revised (409).',
    access: { project: ['lead', 'reviewer'] },
    params: WritingParamsSchema,
    body: WritingReviewBodySchema,
    response: WritingDetailSchema,
    status: 201,
    errors: ['conflict'],
  },
  revise: {
    method: 'post',
    path: '/api/projects/:projectId/writings/:judgmentId/revisions',
    tag: 'writing',
    summary: 'Resubmit a writing that was sent back, as its next version (its trainer only; anyone else gets 404)',
    access: { project: ANY_MEMBER },
    params: WritingParamsSchema,
    body: WritingReviseBodySchema,
    response: WritingDetailSchema,
    status: 201,
    errors: ['conflict'],
  },
});
