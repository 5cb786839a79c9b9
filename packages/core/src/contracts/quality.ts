/**
 * Quality: agreement figures as judgments arrive, per-annotator statistics, flags, the model
 * leaderboard and a trainer's own statistics. Every figure is computed from per-item contributions
 * kept in the database (updated in each judgment's transaction); a lead's dashboard is told that
 * figures changed by the realtime event `quality:changed` (see schemas/realtime.ts) and refetches.
 *
 * Conventions:
 * - a `Figure` is `{ value, n, ci }`: `value` null when the statistic is not defined (too few
 *   judgments, no variation), `n` the units it was computed over (items, or item × response for
 *   per-response dimensions; judgments for shares), `ci` a 95% bootstrap interval over items
 *   (null when not computed or not defined);
 * - the 3-way (nominal) view of a pairwise preference is first better / tie / second better in the
 *   item's canonical response order; the graded view is the stored value −3…+3 (ordinal).
 */
import { z } from 'zod';
import { IdSchema, TimestampSchema } from '../schemas/common.ts';
import { ProjectParamsSchema, TaskKindSchema } from '../schemas/projects.ts';
import { defineContracts } from './contract.ts';

// ---------------------------------------------------------------- figures

export const FigureSchema = z
  .object({
    value: z.number().nullable(),
    n: z.number().int(),
    ci: z.tuple([z.number(), z.number()]).nullable(),
  })
  .meta({ description: 'A statistic with the number of units it was computed over and its 95% bootstrap interval (null when not defined or not computed).' });
export type Figure = z.infer<typeof FigureSchema>;

export const AgreementFiguresSchema = z.object({
  /**
   * Krippendorff's α: ordinal on the graded scale, nominal on the 3-way view (pairwise) or the level as a category;
   * `interval` (rating projects only) on the levels' values as distances.
   */
  alpha: z.object({ ordinal: FigureSchema, nominal: FigureSchema, interval: FigureSchema.optional() }),
  /** Share of agreeing pairs of judgments of the same unit (3-way view for preferences). */
  percentAgreement: FigureSchema,
  /** Fleiss' κ (3-way view); null when the units do not all have the same number of judgments (or fewer than 2). */
  fleissKappa: FigureSchema.nullable(),
  /** Kendall's W over rankings (mean over items with at least 2 rankings); null for pairwise projects. */
  kendallW: FigureSchema.nullable(),
});
export type AgreementFigures = z.infer<typeof AgreementFiguresSchema>;

export const DimensionAgreementSchema = AgreementFiguresSchema.omit({ kendallW: true }).extend({
  /** The rubric dimension's id and name (as in the latest published version that has it). */
  dimension: z.string(),
  name: z.string(),
  /** `response`: each response is scored (units are item × response); `comparison`: one score per item. */
  target: z.enum(['response', 'comparison']),
  /** Scores counted. */
  judgments: z.number().int(),
});

export const VersionAgreementSchema = AgreementFiguresSchema.extend({
  /** The rubric version the judgments were made under; null for judgments without one (e.g. imported). */
  rubricVersion: z.number().int().nullable(),
  judgments: z.number().int(),
  items: z.number().int(),
});

export const PeriodAgreementSchema = AgreementFiguresSchema.extend({
  /** `week`: an ISO week (Monday 00:00 UTC); `sinceCalibration`: from the last calibration session to now. */
  period: z.enum(['week', 'sinceCalibration']),
  start: TimestampSchema,
  end: TimestampSchema,
  /** Judgments submitted in the period; agreement is among the judgments of the same item within it. */
  judgments: z.number().int(),
  items: z.number().int(),
});

export const PreferenceDistributionSchema = z.object({
  /** Graded pairwise preferences −3 (first much better) … +3 (second much better): count per value. */
  graded: z.array(z.object({ value: z.number().int(), count: z.number().int() })),
  /** The 3-way view. */
  threeWay: z.object({ first: z.number().int(), tie: z.number().int(), second: z.number().int() }),
});

export const LabelAgreementSchema = z.object({
  /** The taxonomy label's id and name (as in the newest published version that has it). */
  label: z.string(),
  name: z.string(),
  /** Judgments that chose the label. */
  picked: z.number().int(),
  /** Krippendorff's α nominal of the label as a binary variable (chosen or not) over the items. */
  alpha: FigureSchema,
});
export type LabelAgreement = z.infer<typeof LabelAgreementSchema>;
const SpanF1Schema = z.object({
  /** Annotator pairs the mean is over (those who share an item and marked a span there). */
  pairs: z.number().int(),
  exactF1: z.number().nullable(),
  overlapF1: z.number().nullable(),
});

/**
 * Spans projects: span F1 between annotators, exact (same offsets and type) and overlap (a shared
 * character, same type), pooled over types and per type: for each pair of annotators sharing an
 * item, F1 over their shared items; the mean over pairs (`@accord/metrics` pairwiseSpanF1).
 */
export const SpanAgreementSchema = z.object({
  /** The judgments and items (with two or more judgments) it was computed from. */
  judgments: z.number().int(),
  items: z.number().int(),
  /** Annotator pairs sharing an item. */
  pairs: z.number().int(),
  /** True when the project has more spans judgments than one computation reads (the first items by id are used). */
  truncated: z.boolean(),
  overall: SpanF1Schema,
  byType: z.array(SpanF1Schema.extend({ label: z.string() })),
});
export type SpanAgreement = z.infer<typeof SpanAgreementSchema>;

export const ProjectAgreementSchema = z.object({
  taskKind: TaskKindSchema,
  /** Submitted judgments (accord and imported, humans and model judges). */
  judgments: z.number().int(),
  items: z.number().int(),
  annotators: z.number().int(),
  overall: AgreementFiguresSchema,
  dimensions: z.array(DimensionAgreementSchema),
  byVersion: z.array(VersionAgreementSchema),
  /** Weekly, oldest first; plus one `sinceCalibration` entry when a calibration session exists. */
  overTime: z.array(PeriodAgreementSchema),
  distribution: PreferenceDistributionSchema,
  /** Classification projects: α per label (each label chosen or not), taxonomy order, then labels only judgments name. */
  labels: z.array(LabelAgreementSchema).optional(),
  /**
   * Classification projects: Krippendorff's α over the label sets with the MASI distance (Passonneau 2006:
   * 1 − Jaccard × monotonicity 1 / ⅔ / ⅓ / 0); on a single-label taxonomy it equals α nominal.
   */
  masiAlpha: FigureSchema.optional(),
  /** Spans projects only (absent elsewhere). */
  spans: SpanAgreementSchema.optional(),
  /** Bootstrap resamples behind each `ci`. */
  bootstrapSamples: z.number().int(),
  computedAt: TimestampSchema,
});
export type ProjectAgreement = z.infer<typeof ProjectAgreementSchema>;

const BoolQuery = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const AgreementQuerySchema = z.strictObject({
  /** Bootstrap resamples for the intervals (0: no intervals). */
  samples: z.coerce.number().int().min(0).max(2000).default(200),
  /** Seed of the bootstrap (the same seed gives the same intervals). */
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(1),
});
export type AgreementQuery = z.infer<typeof AgreementQuerySchema>;

// ---------------------------------------------------------------- flags

export const FLAG_KINDS = ['kappaVsConsensus', 'goldAccuracy'] as const;
export const FlagKindSchema = z.enum(FLAG_KINDS);

export const QualityFlagSchema = z.object({
  id: IdSchema,
  userId: IdSchema,
  /** The flagged member's name (leads and reviewers only see flags). */
  name: z.string(),
  /** Which figure fell below its threshold. */
  kind: FlagKindSchema,
  /** The rubric dimension the figure is about; null for the overall preference. */
  dimension: z.string().nullable(),
  /** The figure over the window, and the project's threshold it fell below. */
  value: z.number(),
  threshold: z.number(),
  /** The member's last `window` items the figure was computed over … */
  window: z.number().int(),
  /** … and those of them that disagreed (with consensus, or with gold), by item id. */
  items: z.array(IdSchema),
  /** A readable reason, e.g. "κ vs consensus 0.21 < 0.40 over the last 20 items". */
  reason: z.string(),
  status: z.enum(['open', 'cleared']),
  createdAt: TimestampSchema,
  /** When the figure (or its items) last changed while the flag was open. */
  updatedAt: TimestampSchema,
  clearedAt: TimestampSchema.nullable(),
  clearedBy: z.object({ userId: IdSchema, name: z.string() }).nullable(),
  clearReason: z.string().nullable(),
});
export type QualityFlag = z.infer<typeof QualityFlagSchema>;

export const FlagListQuerySchema = z.strictObject({
  status: z.enum(['open', 'cleared', 'all']).default('open'),
  userId: IdSchema.optional(),
  kind: FlagKindSchema.optional(),
});
export type FlagListQuery = z.infer<typeof FlagListQuerySchema>;

export const FlagParamsSchema = z.object({ projectId: IdSchema, flagId: IdSchema });
export const ClearFlagBodySchema = z.strictObject({
  reason: z.string().trim().min(1, { message: 'must not be empty' }).max(2000, { message: 'must be at most 2000 characters' }),
});
export type ClearFlagBody = z.infer<typeof ClearFlagBodySchema>;

// ---------------------------------------------------------------- annotators

export const PositionBiasSchema = z.object({
  /** Share of non-tie preferences for the response shown first (imported judgments: the item's order). */
  firstShare: z.number().nullable(),
  /** Non-tie preferences counted. */
  n: z.number().int(),
  /** Two-sided binomial p against 0.5. */
  p: z.number().nullable(),
});

export const LengthBiasSchema = z.object({
  /** Share of this annotator's non-tie preferences (between responses of different length) for the longer response … */
  longerShare: z.number().nullable(),
  /** … and the consensus's share on the same items. */
  consensusLongerShare: z.number().nullable(),
  n: z.number().int(),
});

export const DriftPointSchema = z.object({
  /** The annotator's judgments up to and including this point (1-based, by submission time). */
  judgments: z.number().int(),
  at: TimestampSchema,
  /** Agreement with consensus (3-way view) over the `window` judgments ending here. */
  value: z.number().nullable(),
  n: z.number().int(),
});

export const PeerAgreementSchema = z.object({
  /** The peer's user id. */
  annotator: IdSchema,
  /** Cohen's κ on the 3-way view over the items both judged; null when undefined. */
  kappa: z.number().nullable(),
  shared: z.number().int(),
});

export const AnnotatorStatsSchema = z.object({
  annotator: IdSchema,
  name: z.string(),
  kind: z.enum(['human', 'model']),
  role: z.enum(['lead', 'reviewer', 'trainer']),
  active: z.boolean(),
  judgments: z.number().int(),
  /** Cohen's κ (3-way view) against the consensus of the other annotators of the same items (leave-one-out majority). */
  kappaVsConsensus: FigureSchema,
  /** Share of gold items judged like gold (3-way view). */
  goldAccuracy: FigureSchema,
  positionBias: PositionBiasSchema,
  tieRate: z.number().nullable(),
  lengthBias: LengthBiasSchema,
  medianSeconds: z.number().nullable(),
  /** Median words per justification (non-empty ones). */
  justificationLength: z.number().nullable(),
  drift: z.array(DriftPointSchema),
  /** Open flags of this annotator. */
  flags: z.array(QualityFlagSchema),
  /** Agreement with each annotator they share items with. */
  peers: z.array(PeerAgreementSchema),
});
export type AnnotatorStats = z.infer<typeof AnnotatorStatsSchema>;

export const QualityThresholdsSchema = z.object({
  minKappaVsConsensus: z.number().nullable(),
  minGoldAccuracy: z.number().nullable(),
  window: z.number().int(),
});

export const AnnotatorStatsListSchema = z.object({
  annotators: z.array(AnnotatorStatsSchema),
  /** The project's flag thresholds (drift uses the same window). */
  thresholds: QualityThresholdsSchema,
  computedAt: TimestampSchema,
});

export const AnnotatorStatsQuerySchema = z.strictObject({
  kind: z.enum(['all', 'human', 'model']).default('all'),
  /** Leave out members without judgments. */
  active: BoolQuery.optional(),
});
export type AnnotatorStatsQuery = z.infer<typeof AnnotatorStatsQuerySchema>;

/**
 * A trainer's own figures: never another member's identity or figures. The figures that rest on gold or
 * on the others' judgments (agreement and κ with consensus, gold accuracy, drift) count a trainer's
 * judgments in whole blocks of `block`, in submission order: they move when a block is complete, never
 * with one submit, so they cannot tell which item was gold, its answer, or what the others chose on it.
 */
export const MyStatsSchema = z.object({
  judgments: z.number().int(),
  /** The judgments the gold and consensus figures count: all of them for leads and reviewers; for a trainer, their first in whole blocks. */
  countedJudgments: z.number().int(),
  /** The block those figures count in: 10 for a trainer, 1 (every judgment at once) for leads and reviewers. */
  block: z.number().int(),
  kappaVsConsensus: FigureSchema,
  /** Share of the caller's judgments (3-way view) equal to the consensus of the others. */
  agreementWithConsensus: FigureSchema,
  goldAccuracy: FigureSchema,
  positionBias: PositionBiasSchema,
  tieRate: z.number().nullable(),
  medianSeconds: z.number().nullable(),
  justificationLength: z.number().nullable(),
  drift: z.array(DriftPointSchema),
  window: z.number().int(),
  computedAt: TimestampSchema,
});
export type MyStats = z.infer<typeof MyStatsSchema>;

// ---------------------------------------------------------------- leaderboard

export const LeaderboardQuerySchema = z.strictObject({
  /** `judgments`: every submitted judgment is a comparison; `consensus`: one per item (majority of its judgments). */
  from: z.enum(['judgments', 'consensus']).default('judgments'),
  samples: z.coerce.number().int().min(0).max(2000).default(200),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(1),
});
export type LeaderboardQuery = z.infer<typeof LeaderboardQuerySchema>;

export const LeaderboardModelSchema = z.object({
  model: z.string(),
  /** Bradley–Terry strength (ties count half), normalised so that all strengths sum to 1. */
  strength: z.number(),
  /** 95% bootstrap interval over items; null when not computed. */
  ci: z.tuple([z.number(), z.number()]).nullable(),
  comparisons: z.number().int(),
  wins: z.number().int(),
  ties: z.number().int(),
  losses: z.number().int(),
});

export const LeaderboardSchema = z.object({
  from: z.enum(['judgments', 'consensus']),
  /** Strongest first. */
  models: z.array(LeaderboardModelSchema),
  comparisons: z.number().int(),
  bootstrapSamples: z.number().int(),
  computedAt: TimestampSchema,
});
export type Leaderboard = z.infer<typeof LeaderboardSchema>;

// ---------------------------------------------------------------- contracts

const FIGURES = ['lead', 'reviewer'] as const;
const ANY_MEMBER = ['lead', 'reviewer', 'trainer'] as const;

export const qualityContracts = defineContracts('quality', {
  agreement: {
    method: 'get',
    path: '/api/projects/:projectId/agreement',
    tag: 'quality',
    summary: "The project's agreement: overall, per rubric dimension, per rubric version and over time, each with n and a bootstrap interval (lead, reviewer)",
    access: { project: FIGURES },
    params: ProjectParamsSchema,
    query: AgreementQuerySchema,
    response: ProjectAgreementSchema,
  },
  trainers: {
    method: 'get',
    path: '/api/projects/:projectId/agreement/trainers',
    tag: 'quality',
    summary: 'Per annotator (humans and model judges): κ vs consensus and each peer, gold accuracy, position and length bias, tie rate, time, drift, open flags (lead, reviewer)',
    access: { project: FIGURES },
    params: ProjectParamsSchema,
    query: AnnotatorStatsQuerySchema,
    response: AnnotatorStatsListSchema,
  },
  leaderboard: {
    method: 'get',
    path: '/api/projects/:projectId/leaderboard',
    tag: 'quality',
    summary: "Bradley–Terry strengths of the responses' models (ties count half, summing to 1) with bootstrap intervals; wins, ties and losses (lead, reviewer)",
    access: { project: FIGURES },
    params: ProjectParamsSchema,
    query: LeaderboardQuerySchema,
    response: LeaderboardSchema,
  },
  myStats: {
    method: 'get',
    path: '/api/projects/:projectId/me/stats',
    tag: 'quality',
    summary: 'Your own statistics in this project: judgments, gold accuracy, agreement with consensus, position bias, tie rate, time, drift',
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    response: MyStatsSchema,
  },
  listFlags: {
    method: 'get',
    path: '/api/projects/:projectId/flags',
    tag: 'quality',
    summary: "Quality flags: members whose agreement with consensus or gold accuracy over their last n items fell below the project's thresholds (lead, reviewer)",
    access: { project: FIGURES },
    params: ProjectParamsSchema,
    query: FlagListQuerySchema,
    response: z.object({ items: z.array(QualityFlagSchema) }),
  },
  clearFlag: {
    method: 'post',
    path: '/api/projects/:projectId/flags/:flagId/clear',
    tag: 'quality',
    summary: 'Clear a flag with a reason (lead); it is raised again only by judgments submitted after the clearing',
    access: { project: ['lead'] },
    params: FlagParamsSchema,
    body: ClearFlagBodySchema,
    response: QualityFlagSchema,
    errors: ['not_found', 'conflict'],
  },
});
