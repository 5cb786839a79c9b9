/**
 * SFT writing projects: a trainer's written demonstration (a judgment whose preference is
 * `{ kind: 'writing', text, base? }`), its versions (each with a word diff against the model response
 * it rewrites), and reviewers' reviews: a score on each of the rubric's dimensions and a decision —
 * accept, or send back with feedback, after which the trainer revises and resubmits a new version.
 * A writing's status is the latest review's decision on its latest version (none yet: pending).
 */
import { z } from 'zod';
import { IdSchema, PageQuerySchema, TimestampSchema } from './common.ts';
import { TurnSchema } from './items.ts';
import { ResponseIdSchema, WritingPreferenceSchema } from './work.ts';

export const WRITING_STATUSES = ['pending', 'sent_back', 'accepted'] as const;
export const WritingStatusSchema = z.enum(WRITING_STATUSES);
export type WritingStatus = z.infer<typeof WritingStatusSchema>;

export const DiffPartSchema = z.object({ op: z.enum(['eq', 'ins', 'del']), text: z.string() });

export const WritingVersionSchema = z.object({
  version: z.number().int(),
  text: z.string(),
  /** The model response it rewrites (null: written from scratch). */
  base: z.string().nullable(),
  /** Word diff against the base response's text (null when written from scratch). */
  diff: z.object({ parts: z.array(DiffPartSchema), inserted: z.number().int(), deleted: z.number().int() }).nullable(),
  words: z.number().int(),
  submittedAt: TimestampSchema,
});
export type WritingVersion = z.infer<typeof WritingVersionSchema>;

export const WritingScoreSchema = z.strictObject({ dimension: z.string().min(1).max(100), value: z.number().finite() });

export const WritingReviewSchema = z.object({
  id: IdSchema,
  version: z.number().int(),
  reviewer: z.object({ id: IdSchema.nullable(), name: z.string() }),
  scores: z.array(WritingScoreSchema),
  decision: z.enum(['accept', 'send_back']),
  feedback: z.string(),
  rubricVersion: z.number().int().nullable(),
  createdAt: TimestampSchema,
});
export type WritingReview = z.infer<typeof WritingReviewSchema>;

export const WritingSummarySchema = z.object({
  judgmentId: IdSchema,
  itemId: IdSchema,
  /** Leads and reviewers only (null for trainers). */
  externalId: z.string().nullable(),
  prompt: z.string(),
  author: z.object({ id: IdSchema, name: z.string() }),
  status: WritingStatusSchema,
  version: z.number().int(),
  words: z.number().int(),
  rewrite: z.boolean(),
  reviews: z.number().int(),
  /** Whether the caller has reviewed the latest version already. */
  reviewedByMe: z.boolean(),
  updatedAt: TimestampSchema,
});
export type WritingSummary = z.infer<typeof WritingSummarySchema>;

export const WritingDetailSchema = WritingSummarySchema.extend({
  item: z.object({
    prompt: z.string(),
    context: z.array(TurnSchema),
    /** The item's model response, when it has one (its model named for leads and reviewers, or where the project shows names). */
    response: z.object({ id: z.string(), model: z.string().optional(), content: z.string() }).nullable(),
  }),
  rubricVersion: z.number().int().nullable(),
  versions: z.array(WritingVersionSchema),
  reviewList: z.array(WritingReviewSchema),
});
export type WritingDetail = z.infer<typeof WritingDetailSchema>;

export const WritingListQuerySchema = PageQuerySchema.extend({
  status: WritingStatusSchema.optional(),
  /** Only the caller's own writings (trainers always get only their own). */
  mine: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional(),
});
export type WritingListQuery = z.infer<typeof WritingListQuerySchema>;

export const WritingParamsSchema = z.object({ projectId: IdSchema, judgmentId: IdSchema });

export const WritingReviewBodySchema = z
  .strictObject({
    /** The version reviewed (must be the latest: a stale screen is refused with 409). */
    version: z.number().int().min(1).max(1_000_000),
    /** One score per rubric dimension, a level of its scale. */
    scores: z.array(WritingScoreSchema).max(100),
    decision: z.enum(['accept', 'send_back']),
    feedback: z.string().trim().max(5000, { message: 'must be at most 5000 characters' }).default(''),
  })
  .superRefine((b, ctx) => {
    if (b.decision === 'send_back' && !b.feedback) ctx.addIssue({ code: 'custom', path: ['feedback'], message: 'must say what to change when sending a writing back' });
  });
export type WritingReviewBody = z.infer<typeof WritingReviewBodySchema>;

export const WritingReviseBodySchema = z.strictObject({
  text: WritingPreferenceSchema.shape.text,
  base: ResponseIdSchema.optional(),
  timeSpentMs: z.number().int().min(0).max(7 * 24 * 3_600_000).optional(),
});
export type WritingReviseBody = z.infer<typeof WritingReviseBodySchema>;

export const WritingDimensionFiguresSchema = z.object({
  dimension: z.string(),
  name: z.string(),
  /** Reviews scoring it. */
  scores: z.number().int(),
  /** Value → how many reviews gave it. */
  distribution: z.array(z.object({ value: z.number(), count: z.number().int() })),
  mean: z.number().nullable(),
  /** Krippendorff's α over the writing versions that two or more reviewers scored (null: fewer than two such, or no variation). */
  alphaInterval: z.number().nullable(),
  alphaOrdinal: z.number().nullable(),
  /** Versions scored by two or more reviewers (the units α is computed over). */
  units: z.number().int(),
});

export const WritingAgreementSchema = z.object({
  writings: z.number().int(),
  pending: z.number().int(),
  sentBack: z.number().int(),
  accepted: z.number().int(),
  reviews: z.number().int(),
  /** Share of reviews that accepted (null without reviews). */
  acceptanceRate: z.number().nullable(),
  dimensions: z.array(WritingDimensionFiguresSchema),
});
export type WritingAgreement = z.infer<typeof WritingAgreementSchema>;
