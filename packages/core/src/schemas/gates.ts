/**
 * Gates on a member's work: pauses, calibration enrolment, the project's qualification (gold items,
 * optionally justifications a reviewer grades against a checklist; passing grants a tier or domain
 * tags), the member's standing (tier, tags, what qualification would grant), and reviewers'
 * feedback on judgments. Trainers learn a qualification's overall score, never gold item by item.
 */
import { z } from 'zod';
import { IdSchema, PageQuerySchema, TimestampSchema } from './common.ts';
import { MAX_MEMBER_TIER, MemberCalibrationSchema, MemberPauseSchema, MemberTagsSchema } from './projects.ts';
import { JudgmentPayloadSchema, TaskSchema } from './work.ts';

// ---------------------------------------------------------------- pause and calibration

export const PauseMemberBodySchema = z.strictObject({
  /** Shown to the member in their queue ("why there is no work"). */
  reason: z.string().trim().max(500, { message: 'must be at most 500 characters' }).default(''),
});
export type PauseMemberBody = z.infer<typeof PauseMemberBodySchema>;

export const EnrolCalibrationBodySchema = z.strictObject({
  note: z.string().trim().max(500, { message: 'must be at most 500 characters' }).default(''),
});
export type EnrolCalibrationBody = z.infer<typeof EnrolCalibrationBodySchema>;


// ---------------------------------------------------------------- qualification

export const QUALIFICATION_LIMITS = { items: 200, checklist: 20, checklistChars: 300 } as const;

export const QualificationReviewSchema = z.strictObject({
  /** What a reviewer checks in each written justification. */
  checklist: z
    .array(z.string().trim().min(1, { message: 'must not be empty' }).max(QUALIFICATION_LIMITS.checklistChars))
    .min(1, { message: 'needs at least one point' })
    .max(QUALIFICATION_LIMITS.checklist),
  /** Share of checklist points met over all answers needed to pass (0..1). */
  minShare: z.number().min(0).max(1).default(0.5),
});

export const QualificationGrantSchema = z.strictObject({
  /** The tier a passing member is raised to (never lowered); null: no tier change. */
  tier: z.number().int().min(1).max(MAX_MEMBER_TIER).nullable().default(null),
  /** Domain tags added to a passing member. */
  tags: MemberTagsSchema.default([]),
});

const QualificationFields = {
  /** Whether members must pass before they receive real work. */
  required: z.boolean().default(true),
  /** Gold items of the project, taken in this order. */
  itemIds: z
    .array(IdSchema)
    .min(1, { message: 'needs at least one gold item' })
    .max(QUALIFICATION_LIMITS.items, { message: `at most ${QUALIFICATION_LIMITS.items} items` })
    .refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat an item' }),
  /** Agreement with gold (0..1) needed to pass. */
  passThreshold: z.number().min(0).max(1).default(0.8),
  /** How long a member who failed waits before another attempt. */
  retryDelayMinutes: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 60)
    .default(24 * 60),
  grants: QualificationGrantSchema.default({ tier: null, tags: [] }),
  /** Written justifications graded by a reviewer against a checklist; null: gold alone decides. */
  review: QualificationReviewSchema.nullable().default(null),
};

export const PutQualificationBodySchema = z.strictObject(QualificationFields);
export type PutQualificationBody = z.infer<typeof PutQualificationBodySchema>;

export const QualificationSchema = z.object({
  projectId: IdSchema,
  required: z.boolean(),
  itemIds: z.array(IdSchema),
  passThreshold: z.number(),
  retryDelayMinutes: z.number().int(),
  grants: z.object({ tier: z.number().int().nullable(), tags: z.array(z.string()) }),
  review: z.object({ checklist: z.array(z.string()), minShare: z.number() }).nullable(),
  updatedAt: TimestampSchema,
});
export type Qualification = z.infer<typeof QualificationSchema>;

export const QUALIFICATION_STATUSES = ['in_progress', 'awaiting_review', 'passed', 'failed'] as const;
export const QualificationStatusSchema = z.enum(QUALIFICATION_STATUSES);
export type QualificationStatus = z.infer<typeof QualificationStatusSchema>;

/** An attempt as its trainer sees it: the overall score at the end, never which items missed gold. */
export const QualificationAttemptSchema = z.object({
  id: IdSchema,
  projectId: IdSchema,
  userId: IdSchema,
  status: QualificationStatusSchema,
  total: z.number().int(),
  answered: z.number().int(),
  startedAt: TimestampSchema,
  finishedAt: TimestampSchema.nullable(),
  /** Agreement with gold over the attempt's items (0..1), once every item is answered. */
  score: z.number().nullable(),
  passThreshold: z.number(),
  /** Share of checklist points a reviewer found met (0..1), once graded. */
  reviewShare: z.number().nullable(),
  reviewComment: z.string().nullable(),
  /** When a failed member may try again. */
  retryAt: TimestampSchema.nullable(),
  user: z.object({ name: z.string(), email: z.string() }),
});
export type QualificationAttempt = z.infer<typeof QualificationAttemptSchema>;

/** For leads and reviewers: the answers with their agreement with gold, to grade justifications. */
export const QualificationAnswerSchema = z.object({
  itemId: IdSchema,
  externalId: z.string(),
  prompt: z.string(),
  payload: JudgmentPayloadSchema,
  /** Agreement of this answer with the item's gold (0..1). */
  agreement: z.number(),
  /** Checklist points (indexes) the reviewer found met, once graded. */
  met: z.array(z.number().int()).nullable(),
  answeredAt: TimestampSchema,
});
export const QualificationAttemptDetailSchema = QualificationAttemptSchema.extend({ answers: z.array(QualificationAnswerSchema), checklist: z.array(z.string()).nullable() });
export type QualificationAttemptDetail = z.infer<typeof QualificationAttemptDetailSchema>;

/** A qualification item as the trainer sees it: a task (no gold, no model names unless shown). */
export const QualificationTaskSchema = TaskSchema.omit({ assignmentId: true, reservedAt: true, expiresAt: true, draft: true, timeSpentMs: true }).extend({
  attemptId: IdSchema,
  /** 1-based position in the attempt. */
  index: z.number().int(),
  total: z.number().int(),
});
export type QualificationTask = z.infer<typeof QualificationTaskSchema>;

export const QualificationNextSchema = z.object({ attempt: QualificationAttemptSchema, task: QualificationTaskSchema.nullable() });
export type QualificationNext = z.infer<typeof QualificationNextSchema>;

export const QualificationAnswerBodySchema = z.strictObject({
  payload: JudgmentPayloadSchema,
  timeSpentMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3_600_000)
    .optional(),
});
export type QualificationAnswerBody = z.infer<typeof QualificationAnswerBodySchema>;

export const QualificationGradeBodySchema = z.strictObject({
  /** For each answer of the attempt: the checklist points (indexes) its justification meets. */
  answers: z
    .array(z.strictObject({ itemId: IdSchema, met: z.array(z.number().int().min(0).max(QUALIFICATION_LIMITS.checklist - 1)).max(QUALIFICATION_LIMITS.checklist) }))
    .min(1)
    .max(QUALIFICATION_LIMITS.items),
  comment: z.string().trim().max(5000).default(''),
});
export type QualificationGradeBody = z.infer<typeof QualificationGradeBodySchema>;

export const QualificationAttemptListQuerySchema = PageQuerySchema.extend({
  userId: IdSchema.optional(),
  status: QualificationStatusSchema.optional(),
});
export type QualificationAttemptListQuery = z.infer<typeof QualificationAttemptListQuerySchema>;

export const QualificationAttemptParamsSchema = z.object({ projectId: IdSchema, attemptId: IdSchema });
export const QualificationAnswerParamsSchema = z.object({ projectId: IdSchema, attemptId: IdSchema, itemId: IdSchema });

// ---------------------------------------------------------------- standing

/** The caller's own standing in a project: what gates their work and what qualification would grant. */
export const StandingSchema = z.object({
  tier: z.number().int(),
  tags: z.array(z.string()),
  paused: MemberPauseSchema.nullable(),
  calibration: MemberCalibrationSchema.nullable(),
  /** What the project asks to receive work (tier, one of the tags, a qualification). */
  requires: z.object({ minTier: z.number().int(), tags: z.array(z.string()), qualification: z.boolean() }),
  eligible: z.boolean(),
  reason: z.string().nullable(),
  qualification: z
    .object({
      required: z.boolean(),
      items: z.number().int(),
      passThreshold: z.number(),
      retryDelayMinutes: z.number().int(),
      grants: z.object({ tier: z.number().int().nullable(), tags: z.array(z.string()) }),
      review: z.boolean(),
      /** When the caller passed (null: not yet). */
      passedAt: TimestampSchema.nullable(),
      /** The caller's latest attempt. */
      latest: QualificationAttemptSchema.nullable(),
      /** Whether the caller may start (or go on with) an attempt now, and otherwise from when. */
      canAttempt: z.boolean(),
      retryAt: TimestampSchema.nullable(),
    })
    .nullable(),
});
export type Standing = z.infer<typeof StandingSchema>;

// ---------------------------------------------------------------- feedback

export const FeedbackBodySchema = z.strictObject({
  text: z.string().trim().min(1, { message: 'must not be empty' }).max(5000, { message: 'must be at most 5000 characters' }),
  /** Optional rating of the judgment, 1 (poor) … 5 (excellent). */
  rating: z.number().int().min(1).max(5).nullable().default(null),
});
export type FeedbackBody = z.infer<typeof FeedbackBodySchema>;

export const FeedbackSchema = z.object({
  id: IdSchema,
  projectId: IdSchema,
  judgmentId: IdSchema,
  itemId: IdSchema,
  /** The trainer whose judgment it is; null for a reviewer under blind adjudication (unless their own). */
  userId: IdSchema.nullable(),
  text: z.string(),
  rating: z.number().int().nullable(),
  author: z.object({ id: IdSchema.nullable(), name: z.string() }),
  createdAt: TimestampSchema,
  /** The judged item's prompt (start) for context. */
  prompt: z.string(),
});
export type Feedback = z.infer<typeof FeedbackSchema>;

export const FeedbackListQuerySchema = PageQuerySchema.extend({
  /** Leads and reviewers: feedback on this member's judgments (trainers always get their own). */
  userId: IdSchema.optional(),
  judgmentId: IdSchema.optional(),
});
export type FeedbackListQuery = z.infer<typeof FeedbackListQuerySchema>;

