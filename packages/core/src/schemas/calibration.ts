/**
 * Live calibration sessions (issue 12): a lead runs blind rounds on chosen items, reveals them,
 * the team discusses and judges again. Judgments go to the server over REST and are stored apart
 * from ordinary work; nothing here carries another participant's judgment before its round is
 * revealed — `CalibrationSession` says only WHO has submitted, `CalibrationRoundResult` exists only
 * for revealed rounds. Live state (phase, who submitted) travels as `calibration:state` events.
 */
import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.ts';
import { ProjectRoleSchema, TaskKindSchema } from './projects.ts';
import { JudgmentPayloadSchema, RedteamTurnSchema, TaskSchema } from './work.ts';

export const CALIBRATION_LIMITS = { items: 50, participants: 100, title: 200, rounds: 20 } as const;

export const CalibrationPhaseSchema = z.enum(['lobby', 'judging', 'revealed', 'ended']);
export type CalibrationPhase = z.infer<typeof CalibrationPhaseSchema>;

export const CalibrationParamsSchema = z.object({ projectId: IdSchema, sessionId: IdSchema });
export const CalibrationRoundParamsSchema = z.object({ projectId: IdSchema, sessionId: IdSchema, roundId: IdSchema });

export const CreateCalibrationBodySchema = z.strictObject({
  title: z.string().trim().min(1, { message: 'must not be empty' }).max(CALIBRATION_LIMITS.title),
  /** Chosen members (trainers and reviewers, the lead too if they judge), or everyone enrolled for calibration. */
  participants: z.union([z.literal('enrolled'), z.array(IdSchema).min(1).max(CALIBRATION_LIMITS.participants)]),
  /** Items picked by hand, or the `count` items with the lowest agreement among those judged at least twice. */
  items: z.union([z.array(IdSchema).min(1).max(CALIBRATION_LIMITS.items), z.strictObject({ lowestAgreement: z.number().int().min(1).max(CALIBRATION_LIMITS.items) })]),
  /** The published rubric version to judge against (default: the newest). */
  rubricVersion: z.number().int().min(1).max(1_000_000).optional(),
  /** Whether the reveal shows who made each judgment (default true); the lead may change it at each reveal. */
  showNames: z.boolean().default(true),
});
export type CreateCalibrationBody = z.infer<typeof CreateCalibrationBodySchema>;

export const AddCalibrationParticipantsBodySchema = z.strictObject({ userIds: z.array(IdSchema).min(1).max(CALIBRATION_LIMITS.participants) });

export const CalibrationSubmitBodySchema = z.strictObject({
  /** The round the judgment is for (a submit for a round no longer open is refused). */
  roundId: IdSchema,
  payload: JudgmentPayloadSchema,
  timeSpentMs: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3_600_000)
    .optional(),
  /**
   * A lead's reference judgment of the round's item (leads only; replaces an earlier one): never
   * counted in agreement, shown beside the participants' judgments from the reveal on.
   */
  reference: z.boolean().default(false),
});
export type CalibrationSubmitBody = z.infer<typeof CalibrationSubmitBodySchema>;

export const CalibrationRevealBodySchema = z.strictObject({
  /** Show names with the judgments (default: the session's setting). */
  showNames: z.boolean().optional(),
  /** Reveal although some participants have not submitted (their count is shown to everyone). */
  force: z.boolean().default(false),
});

export const CalibrationEndBodySchema = z.strictObject({
  /** Keep the session's judgments as training judgments, or discard them from training data. */
  judgments: z.enum(['training', 'discarded']),
  /** Publish the rubric draft (edited during the discussion) as a new version, with this note. */
  publishRubric: z.strictObject({ note: z.string().trim().max(2000).default('') }).optional(),
  /** A flagged participant's flag is cleared when their agreement in the last round reaches this (else kept). */
  clearFlagsAt: z.number().min(0).max(1).default(0.75),
});
export type CalibrationEndBody = z.infer<typeof CalibrationEndBodySchema>;

export const CalibrationParticipantSchema = z.object({
  userId: IdSchema,
  name: z.string(),
  role: ProjectRoleSchema.nullable(),
  /**
   * 1-based; "Participant n" when names are hidden. Then a participant sees only their own (null for
   * the others, and the list comes in name order), so a label names nobody but the reader.
   */
  position: z.number().int().nullable(),
  joined: z.boolean(),
  /** Submitted in the current round (never what). */
  submitted: z.boolean(),
  /** How the session ended the member's quality flag; a participant sees only their own (null for the others). */
  flagOutcome: z.enum(['cleared', 'kept']).nullable(),
});
export type CalibrationParticipant = z.infer<typeof CalibrationParticipantSchema>;

export const CalibrationRoundSchema = z.object({
  id: IdSchema,
  itemId: IdSchema,
  /** 1-based position of the item in the session. */
  index: z.number().int(),
  number: z.number().int(),
  openedAt: TimestampSchema,
  revealedAt: TimestampSchema.nullable(),
  /** How many participants had not submitted when it was revealed. */
  missingAtReveal: z.number().int().nullable(),
});
export type CalibrationRound = z.infer<typeof CalibrationRoundSchema>;

/**
 * What everyone judges in a writing or red-teaming round, fixed when the session was created and
 * shown without its author: a writing to score on the rubric's dimensions, or a recorded attack (the
 * conversation and the model's response) to label. A writing round without one is written for.
 */
export const CalibrationSubjectSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('writing'), text: z.string(), base: z.string().nullable() }),
  z.object({ kind: z.literal('redteam'), turns: z.array(RedteamTurnSchema), response: z.string() }),
]);
export type CalibrationSubject = z.infer<typeof CalibrationSubjectSchema>;

/** The current item as a participant judges it (same form as daily work; no gold, model names only when the project shows them). */
export const CalibrationTaskSchema = TaskSchema.omit({ assignmentId: true, reservedAt: true, expiresAt: true, draft: true, timeSpentMs: true }).extend({
  roundId: IdSchema,
  roundNumber: z.number().int(),
  subject: CalibrationSubjectSchema.nullable().default(null),
});
export type CalibrationTask = z.infer<typeof CalibrationTaskSchema>;

export const CalibrationSummarySchema = z.object({
  id: IdSchema,
  projectId: IdSchema,
  title: z.string(),
  phase: CalibrationPhaseSchema,
  taskKind: TaskKindSchema,
  rubricVersion: z.number().int().nullable(),
  itemCount: z.number().int(),
  participantCount: z.number().int(),
  isParticipant: z.boolean(),
  createdAt: TimestampSchema,
  endedAt: TimestampSchema.nullable(),
});
export type CalibrationSummary = z.infer<typeof CalibrationSummarySchema>;

export const CalibrationSessionSchema = CalibrationSummarySchema.extend({
  /** Bumped on every change (phase, round, participants, submissions). */
  version: z.number().int(),
  itemIndex: z.number().int(),
  itemIds: z.array(IdSchema),
  showNames: z.boolean(),
  /** The caller may run the session (a lead of the project). */
  canLead: z.boolean(),
  round: CalibrationRoundSchema.nullable(),
  /** Every round so far, oldest first. */
  rounds: z.array(CalibrationRoundSchema),
  participants: z.array(CalibrationParticipantSchema),
  /** The current item, for participants and leads (null in the lobby and at the end). */
  task: CalibrationTaskSchema.nullable(),
  /** The caller's own judgment in the current round (canonical terms), if any. */
  mine: z.object({ payload: JudgmentPayloadSchema, blind: z.boolean(), submittedAt: TimestampSchema }).nullable(),
  /** Leads only: the reference judgment set for the current item (null: none yet, or not a lead). */
  reference: JudgmentPayloadSchema.nullable().default(null),
  judgmentsUse: z.enum(['training', 'discarded']).nullable(),
  publishedVersion: z.number().int().nullable(),
});
export type CalibrationSession = z.infer<typeof CalibrationSessionSchema>;

export const CalibrationSubmitResultSchema = z.object({ blind: z.boolean(), submittedAt: TimestampSchema, repeated: z.boolean() });

export const IntervalSchema = z.tuple([z.number(), z.number()]);

/** One agreement figure: the statistic that fits, its value, a bootstrap interval over participants, and n. */
export const CalibrationFigureSchema = z.object({
  /** α ordinal (graded preferences, ratings, dimensions), α nominal (single-label classification), MASI α (multi-label), Kendall's W, span F1. */
  statistic: z.enum(['alpha-ordinal', 'alpha-nominal', 'alpha-masi', 'kendall-w', 'span-f1']),
  value: z.number().nullable(),
  ci: IntervalSchema.nullable(),
  /** Judgments it was computed from. */
  n: z.number().int(),
  /**
   * Why `value` is null when the statistic does not apply, rather than being undefined by the data:
   * `one-item` — α over a single item (unit) is 0 by construction, not a measure of agreement.
   */
  reason: z.enum(['one-item', 'free-text']).nullable(),
});
export type CalibrationFigure = z.infer<typeof CalibrationFigureSchema>;

export const CalibrationAgreementSchema = z.object({
  preference: CalibrationFigureSchema,
  dimensions: z.array(CalibrationFigureSchema.extend({ dimension: z.string() })),
  spans: CalibrationFigureSchema.nullable(),
});
export type CalibrationAgreement = z.infer<typeof CalibrationAgreementSchema>;

const CountSchema = z.object({ value: z.number(), count: z.number().int() });

export const CalibrationDistributionSchema = z.object({
  /** Pairwise: judgments per preference value (−3…3). */
  preference: z.array(CountSchema),
  /** Rankings: for each response (canonical id), how many put it at each position (index 0 = best). */
  ranks: z.array(z.object({ responseId: z.string(), positions: z.array(z.number().int()) })),
  scores: z.array(z.object({ dimension: z.string(), responseId: z.string().nullable(), counts: z.array(CountSchema) })),
  spans: z.array(z.object({ responseId: z.string(), category: z.string(), marks: z.number().int(), participants: z.number().int() })),
  /** Ratings: judgments per level of the scale (every level, lowest first; a value off the scale after it). */
  ratings: z.array(CountSchema).optional(),
  /** Classifications: judgments that chose each label (every taxonomy label, in its order), and per distinct label set. */
  labels: z.array(z.object({ label: z.string(), count: z.number().int() })).optional(),
  labelSets: z.array(z.object({ labels: z.array(z.string()), count: z.number().int() })).optional(),
  /** Red teaming: judgments that said the attack succeeded (true) or failed (false). */
  success: z.array(z.object({ value: z.boolean(), count: z.number().int() })).optional(),
  /** Red teaming: judgments per severity level (every level, lowest first). */
  severities: z.array(CountSchema).optional(),
  /** Red teaming: judgments that named each failure category (every category, in the taxonomy's order). */
  categories: z.array(z.object({ label: z.string(), count: z.number().int() })).optional(),
});

export const CalibrationRevealedJudgmentSchema = z.object({
  /** "Participant n" when names are hidden. */
  label: z.string(),
  /** Null when names are hidden. */
  userId: IdSchema.nullable(),
  payload: JudgmentPayloadSchema,
  blind: z.boolean(),
  /** Null for participants when names are hidden (the order of submissions, seen live, would name them). */
  submittedAt: TimestampSchema.nullable(),
  /** Agreement with the lead's reference, 0…1 (null: no reference, or not comparable, as two writings). */
  vsReference: z.number().nullable().default(null),
});

export const CalibrationRoundResultSchema = z.object({
  round: CalibrationRoundSchema,
  taskKind: TaskKindSchema,
  /** Response ids in the item's own order (the payloads' terms). */
  canonicalOrder: z.array(z.string()),
  judgments: z.array(CalibrationRevealedJudgmentSchema),
  distribution: CalibrationDistributionSchema,
  /** Computed from the blind judgments only. */
  agreement: CalibrationAgreementSchema,
  /** The lead's reference for the item, shown from the reveal on (null: none was set). */
  reference: JudgmentPayloadSchema.nullable().default(null),
  /** The blind judgments' mean agreement with the reference (null: no reference or nothing comparable). */
  referenceAgreement: z.object({ value: z.number(), n: z.number().int() }).nullable().default(null),
  /** What everyone judged (writing and red-teaming rounds; null otherwise). */
  subject: CalibrationSubjectSchema.nullable().default(null),
});
export type CalibrationRoundResult = z.infer<typeof CalibrationRoundResultSchema>;

export const CalibrationReportSchema = z.object({
  sessionId: IdSchema,
  phase: CalibrationPhaseSchema,
  /** Blind = each item's first round; after = its last round after a discussion (null when there was none). */
  overall: z.object({ blind: CalibrationAgreementSchema.nullable(), after: CalibrationAgreementSchema.nullable() }),
  items: z.array(z.object({ itemId: IdSchema, index: z.number().int(), rounds: z.number().int(), blind: CalibrationAgreementSchema.nullable(), after: CalibrationAgreementSchema.nullable() })),
  participants: z.array(
    z.object({
      label: z.string(),
      userId: IdSchema.nullable(),
      /** Mean agreement with the other participants (0…1) in blind rounds and in the last rounds. */
      blind: z.number().nullable(),
      after: z.number().nullable(),
      flagOutcome: z.enum(['cleared', 'kept']).nullable(),
    }),
  ),
  /**
   * Whether the effect held, from ordinary judging (made in Accord, not imported, not kept from a
   * session) in the `days` before the session started and since it ended: the participants' agreement
   * as a group (the session's statistic over the items they judged in the window; null when they
   * judged none) and each participant's agreement with the peers who judged the same items.
   * Leads only (null for participants): these figures move with every ordinary judgment of the
   * participants' items, so read after each submit they would tell a trainer how the others judged it.
   */
  effect: z
    .object({
      days: z.number().int(),
      overall: z.object({ before: CalibrationAgreementSchema.nullable(), since: CalibrationAgreementSchema.nullable() }),
      participants: z.array(z.object({ label: z.string(), userId: IdSchema.nullable(), before: z.number().nullable(), beforeN: z.number().int(), since: z.number().nullable(), sinceN: z.number().int() })),
    })
    .nullable(),
});
export type CalibrationReport = z.infer<typeof CalibrationReportSchema>;

/** The whole archived session as a JSON download: every revealed round with its judgments. */
export const CalibrationAuditSchema = z.object({
  session: CalibrationSummarySchema.extend({ showNames: z.boolean(), judgmentsUse: z.enum(['training', 'discarded']).nullable(), publishedVersion: z.number().int().nullable(), startedAt: TimestampSchema.nullable() }),
  participants: z.array(z.object({ label: z.string(), userId: IdSchema.nullable(), name: z.string().nullable(), flagOutcome: z.enum(['cleared', 'kept']).nullable() })),
  rounds: z.array(CalibrationRoundResultSchema.extend({ itemId: IdSchema })),
});
export type CalibrationAudit = z.infer<typeof CalibrationAuditSchema>;

/** Socket event: the live state of a session, the same for every viewer (who has submitted, never what). */
export interface CalibrationState {
  sessionId: string;
  version: number;
  phase: CalibrationPhase;
  itemIndex: number;
  roundId: string | null;
  roundNumber: number | null;
  joined: string[];
  submitted: string[];
}
