/**
 * Items in, judgments out: import lines and jobs, project assignment settings, the trainer's task,
 * and judgments. Judgments always name responses by id, never by screen position: a pairwise
 * preference is stored against the item's own response order, and the order the trainer saw is
 * recorded beside it.
 */
import { z } from 'zod';
import { IdSchema, PageQuerySchema, TimestampSchema } from './common.ts';
import { ItemResponseSchema, TurnSchema } from './items.ts';
import { ProjectRoleSchema, TaskKindSchema } from './projects.ts';
import { DEFAULT_JUSTIFICATION_CHECKS, JustificationChecksSettingsSchema, JustificationTypingSchema } from './justifications.ts';

// ---------------------------------------------------------------- project settings

export const EligibilitySchema = z.strictObject({
  /** Roles that receive work. */
  roles: z.array(ProjectRoleSchema).min(1).max(3).default(['trainer']),
  /** Lowest trainer tier that receives work (1 = everyone). */
  minTier: z.number().int().min(1).max(10).default(1),
  /** A member needs at least one of these domain tags (empty: no requirement). */
  tags: z.array(z.string().trim().min(1).max(50)).max(50).default([]),
});

/** Flag thresholds: a member whose figure over their last `window` items falls below one is flagged (null: not checked). */
export const QualitySettingsSchema = z.strictObject({
  minKappaVsConsensus: z.number().min(-1).max(1).nullable().default(null),
  minGoldAccuracy: z.number().min(0).max(1).nullable().default(null),
  /** The member's last n items the figures are evaluated over (also the drift window). */
  window: z.number().int().min(2).max(10_000).default(20),
});
export type QualitySettings = z.infer<typeof QualitySettingsSchema>;

export const CONSENSUS_RULES = ['unanimous', 'majority', 'dawid-skene', 'bradley-terry'] as const;
export const ConsensusRuleSchema = z.enum(CONSENSUS_RULES);

/**
 * How an item's k judgments become a consensus label, and who settles the rest. `threshold` is the
 * share of judgments that must agree for `majority` (0.5: more than half; the share must exceed it)
 * and the posterior the winning class must exceed for `dawid-skene`.
 */
export const ConsensusSettingsSchema = z.strictObject({
  rule: ConsensusRuleSchema.default('majority'),
  threshold: z.number().min(0).max(0.99).default(0.5),
  /** Sign-offs a dispute's proposal needs before a reviewer may commit it (a lead always may). */
  signOffs: z.number().int().min(1).max(20).default(2),
  /** Reviewers adjudicate (write in rooms, sign off, commit); false: they only read rooms. */
  reviewersAdjudicate: z.boolean().default(true),
  /** Adjudication rooms hide who made each judgment. */
  blind: z.boolean().default(false),
  /** Flags on a judgment that open a dispute on the item as soon as it is submitted. */
  seriousFlags: z.array(z.string().min(1).max(100)).max(50).default(['unsafe', 'broken']),
});
export type ConsensusSettings = z.infer<typeof ConsensusSettingsSchema>;
export const DEFAULT_CONSENSUS: ConsensusSettings = {
  rule: 'majority',
  threshold: 0.5,
  signOffs: 2,
  reviewersAdjudicate: true,
  blind: false,
  seriousFlags: ['unsafe', 'broken'],
};

export const ProjectSettingsSchema = z.strictObject({
  /** How many trainers judge each item (k). */
  overlap: z.number().int().min(1).max(50).default(3),
  /** A reservation expires after this long and the item returns to the pool. */
  reservationMinutes: z.number().int().min(1).max(7 * 24 * 60).default(30),
  /**
   * Share of queue requests answered with a gold item while the member has unseen gold and ordinary
   * work left; once their ordinary work is used up, no more gold (a queue ending in gold would tell
   * them what is gold).
   */
  goldRate: z.number().min(0).max(1).default(0.1),
  eligibility: EligibilitySchema.default({ roles: ['trainer'], minTier: 1, tags: [] }),
  /** Whether trainers see each response's model name in their tasks (leads and reviewers always do in the Items list). */
  showModelNames: z.boolean().default(false),
  /** Which justification findings refuse a submit, and the thresholds of two of them. */
  justificationChecks: JustificationChecksSettingsSchema.default(DEFAULT_JUSTIFICATION_CHECKS),
  quality: QualitySettingsSchema.default({ minKappaVsConsensus: null, minGoldAccuracy: null, window: 20 }),
  consensus: ConsensusSettingsSchema.default(DEFAULT_CONSENSUS),
  /** Red teaming: the registered model endpoint trainers' attacks are sent to (null: responses are pasted or imported). */
  modelEndpointId: z.string().uuid().nullable().default(null),
});
export type ProjectSettings = z.infer<typeof ProjectSettingsSchema>;

/** A project's stored settings, defaults filled in; stored settings that no longer parse read as the defaults. */
export function readProjectSettings(raw: unknown): ProjectSettings {
  const r = ProjectSettingsSchema.safeParse(raw ?? {});
  return r.success ? r.data : ProjectSettingsSchema.parse({});
}

export const UpdateProjectSettingsBodySchema = z
  .strictObject({
    // No defaults here (zod applies defaults inside optional): a field left out keeps its value.
    overlap: z.number().int().min(1).max(50).optional(),
    reservationMinutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
    goldRate: z.number().min(0).max(1).optional(),
    showModelNames: z.boolean().optional(),
    /** A registered model endpoint (red-teaming projects), or null for none. */
    modelEndpointId: z.string().uuid({ message: 'must be the id of a registered model endpoint' }).toLowerCase().nullable().optional(),
    justificationChecks: z
      .strictObject({
        block: JustificationChecksSettingsSchema.shape.block.unwrap().optional(),
        nearCopyThreshold: JustificationChecksSettingsSchema.shape.nearCopyThreshold.unwrap().optional(),
        pastedShare: JustificationChecksSettingsSchema.shape.pastedShare.unwrap().optional(),
      })
      .optional(),
    quality: z
      .strictObject({
        minKappaVsConsensus: z.number().min(-1).max(1).nullable().optional(),
        minGoldAccuracy: z.number().min(0).max(1).nullable().optional(),
        window: z.number().int().min(2).max(10_000).optional(),
      })
      .optional(),
    consensus: z
      .strictObject({
        rule: ConsensusRuleSchema.optional(),
        threshold: ConsensusSettingsSchema.shape.threshold.unwrap().optional(),
        signOffs: ConsensusSettingsSchema.shape.signOffs.unwrap().optional(),
        reviewersAdjudicate: z.boolean().optional(),
        blind: z.boolean().optional(),
        seriousFlags: ConsensusSettingsSchema.shape.seriousFlags.unwrap().optional(),
      })
      .optional(),
    eligibility: z
      .strictObject({
        roles: z.array(ProjectRoleSchema).min(1).max(3).optional(),
        minTier: z.number().int().min(1).max(10).optional(),
        tags: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
      })
      .optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'must set at least one field' });
export type UpdateProjectSettingsBody = z.infer<typeof UpdateProjectSettingsBodySchema>;

// ---------------------------------------------------------------- judgment payloads

export const ResponseIdSchema = z.string().min(1).max(100);

/** −3 (first response much better) … 0 (tie) … +3 (second much better). */
export const PreferenceValueSchema = z.number().int().min(-3).max(3);

export const PairwisePreferenceSchema = z.strictObject({
  kind: z.literal('pairwise'),
  /** The two responses compared; the value is "how much better is b than a". */
  a: ResponseIdSchema,
  b: ResponseIdSchema,
  value: PreferenceValueSchema,
});

export const RankingPreferenceSchema = z.strictObject({
  kind: z.literal('ranking'),
  /** Ordered groups of response ids, best first; responses in one group are tied. */
  groups: z.array(z.array(ResponseIdSchema).min(1).max(50)).min(1).max(50),
});

/** A level's value on the rubric's rating scale (`rubric.rating.levels`). */
export const RatingPreferenceSchema = z.strictObject({
  kind: z.literal('rating'),
  value: z.number().int({ message: 'must be a whole number (a level of the rubric\'s rating scale)' }),
});

/** Label ids of the rubric's taxonomy (`rubric.taxonomy.labels`); exactly one when the taxonomy is single-label. */
export const ClassificationPreferenceSchema = z.strictObject({
  kind: z.literal('classification'),
  labels: z.array(z.string().min(1).max(100)).min(1, { message: 'must name at least one label' }).max(100),
});

/**
 * An entity span: UTF-16 offsets into the item's text (its one response, else its prompt), end
 * exclusive, typed by a label of the rubric's taxonomy; `text`, when given, must be the text at
 * start..end (the server stores it filled in).
 */
export const EntitySpanSchema = z.strictObject({
  start: z.number().int().min(0),
  end: z.number().int().min(1),
  label: z.string().min(1).max(100),
  text: z.string().max(20_000).optional(),
});
export type EntitySpan = z.infer<typeof EntitySpanSchema>;

/** Entity spans of the item's text; none is an answer too (the text names no entity). */
export const SpansPreferenceSchema = z.strictObject({
  kind: z.literal('spans'),
  spans: z.array(EntitySpanSchema).max(500, { message: 'at most 500 spans' }),
});


/** Writing projects: how long a written response may be (characters). */
export const WRITING_MAX_CHARS = 20_000;

/**
 * A written demonstration: the ideal response as the trainer wrote it, from scratch or (`base`) by
 * rewriting the item's model response with that id; the server keeps a word diff against the base.
 */
export const WritingPreferenceSchema = z.strictObject({
  kind: z.literal('writing'),
  text: z
    .string()
    .max(WRITING_MAX_CHARS, { message: `must be at most ${WRITING_MAX_CHARS} characters` })
    .refine((t) => t.trim().length > 0, { message: 'must not be empty' }),
  base: ResponseIdSchema.optional(),
});

export const REDTEAM_LIMITS = { turns: 20, turnChars: 20_000, responseChars: 50_000 } as const;

/** One turn of a red-team attack: what the trainer wrote (user) or a reply they keep in the conversation (assistant). */
export const RedteamTurnSchema = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().max(REDTEAM_LIMITS.turnChars),
});

/**
 * A red-team attack on the item's goal (the item's prompt): the conversation the trainer wrote, the
 * model's response (from the project's endpoint through the server, or pasted/imported), and its
 * labels: failure categories of the rubric's taxonomy, a severity level of its rating scale, and
 * whether the attack succeeded. Lenient in shape so a draft can hold it half-written; a submit is
 * checked for completeness by `preferenceIssues` (each missing part named).
 */
export const RedteamPreferenceSchema = z.strictObject({
  kind: z.literal('redteam'),
  turns: z.array(RedteamTurnSchema).max(REDTEAM_LIMITS.turns, { message: `at most ${REDTEAM_LIMITS.turns} turns` }),
  response: z.string().max(REDTEAM_LIMITS.responseChars).default(''),
  /** 'endpoint': the server called the project's model and recorded the call (`callId`); 'pasted': typed or imported. */
  source: z.enum(['endpoint', 'pasted']).default('pasted'),
  endpointId: z.string().uuid().optional(),
  /** The recorded endpoint call whose response this is (source 'endpoint'). */
  callId: z.string().uuid().optional(),
  category: z.array(z.string().min(1).max(100)).max(100).default([]),
  severity: z.number().int({ message: "must be a whole number (a level of the rubric's rating scale)" }).nullable().default(null),
  success: z.boolean().nullable().default(null),
});
export type RedteamPreference = z.infer<typeof RedteamPreferenceSchema>;

export const PreferenceSchema = z.discriminatedUnion('kind', [PairwisePreferenceSchema, RankingPreferenceSchema, RatingPreferenceSchema, ClassificationPreferenceSchema, SpansPreferenceSchema, WritingPreferenceSchema, RedteamPreferenceSchema]);
export type Preference = z.infer<typeof PreferenceSchema>;

export const SeveritySchema = z.enum(['minor', 'major', 'critical']);

export const ScoreSchema = z.strictObject({
  dimension: z.string().min(1).max(100),
  /** For dimensions that score each response; absent for dimensions that score the comparison. */
  responseId: ResponseIdSchema.optional(),
  /** A level value: binary 0/1, Likert 1..k, or a category's index. */
  value: z.number().finite(),
});

export const SpanSchema = z.strictObject({
  responseId: ResponseIdSchema,
  /** UTF-16 offsets into the response content, end exclusive. */
  start: z.number().int().min(0),
  end: z.number().int().min(1),
  /** The marked text; checked against the content so offsets cannot drift. */
  quote: z.string().max(20_000).optional(),
  category: z.string().min(1).max(100),
  severity: SeveritySchema,
  note: z.string().max(2000).default(''),
});
export type Span = z.infer<typeof SpanSchema>;

export const JudgmentPayloadSchema = z.strictObject({
  preference: PreferenceSchema,
  scores: z.array(ScoreSchema).max(500).default([]),
  spans: z.array(SpanSchema).max(200).default([]),
  flags: z.array(z.string().min(1).max(100)).max(50).default([]),
  justification: z.string().max(20_000).default(''),
});
export type JudgmentPayload = z.infer<typeof JudgmentPayloadSchema>;

/** Drafts are saved as typed so far: any part may be missing or incomplete. */
export const DraftPayloadSchema = z.strictObject({
  preference: PreferenceSchema.nullable().optional(),
  scores: z.array(ScoreSchema).max(500).optional(),
  spans: z.array(SpanSchema).max(200).optional(),
  flags: z.array(z.string().min(1).max(100)).max(50).optional(),
  justification: z.string().max(20_000).optional(),
});
export type DraftPayload = z.infer<typeof DraftPayloadSchema>;

const TimeSpentSchema = z
  .number()
  .int()
  .min(0)
  .max(7 * 24 * 3_600_000);

export const SaveDraftBodySchema = z.strictObject({ payload: DraftPayloadSchema, timeSpentMs: TimeSpentSchema.optional() });
export type SaveDraftBody = z.infer<typeof SaveDraftBodySchema>;

export const SubmitJudgmentBodySchema = z.strictObject({
  payload: JudgmentPayloadSchema,
  timeSpentMs: TimeSpentSchema.optional(),
  /** How the justification was entered, as the client counted it (for the `pasted` check). */
  typing: JustificationTypingSchema.optional(),
});
export type SubmitJudgmentBody = z.infer<typeof SubmitJudgmentBodySchema>;

export const JustificationCheckBodySchema = z.strictObject({
  /** The judgment as far as it is written, in canonical terms (as a draft is saved). */
  payload: DraftPayloadSchema,
  typing: JustificationTypingSchema.optional(),
});
export type JustificationCheckBody = z.infer<typeof JustificationCheckBodySchema>;

export const AssignmentParamsSchema = z.object({ projectId: IdSchema, assignmentId: IdSchema });

// ---------------------------------------------------------------- the trainer's task

/** A response as a trainer sees it: the model name only when the project's lead shows model names. */
export const TaskResponseSchema = ItemResponseSchema.extend({ model: ItemResponseSchema.shape.model.optional() });

/** An item as a trainer sees it: no gold label, metadata, external id or others' judgments. */
export const TaskItemSchema = z.object({
  id: IdSchema,
  prompt: z.string(),
  context: z.array(TurnSchema),
  /** In this trainer's display order (randomised per trainer and item). */
  responses: z.array(TaskResponseSchema),
  reference: z.string().nullable(),
});

export const PublishedRubricRefSchema = z.object({
  version: z.number().int(),
  /** The published rubric content (see core's rubric schema). */
  content: z.record(z.string(), z.unknown()),
});

export const TaskSchema = z.object({
  assignmentId: IdSchema,
  taskKind: TaskKindSchema,
  item: TaskItemSchema,
  /** Response ids in this trainer's display order (A, B, … on screen). */
  responseOrder: z.array(z.string()),
  /**
   * Response ids in the item's own (canonical) order, which stored payloads use: a comparison
   * dimension's levels run from the first to the second (see judgment/display-order.ts).
   */
  canonicalOrder: z.array(z.string()),
  reservedAt: TimestampSchema,
  expiresAt: TimestampSchema,
  rubric: PublishedRubricRefSchema.nullable(),
  draft: DraftPayloadSchema.nullable(),
  timeSpentMs: z.number().int(),
});
export type Task = z.infer<typeof TaskSchema>;

export const QueueProgressSchema = z.object({
  /** Judgments this member has submitted in the project. */
  done: z.number().int(),
  /** Reservations this member holds now. */
  reserved: z.number().int(),
  /**
   * Items this member could still be given, besides those they hold (gold included, so taking any
   * task lowers it by one; others' work lowers it when an item they have not seen fills up).
   */
  available: z.number().int(),
  /** What is left for this member: their reservations plus `available`; it goes down as they take work. */
  left: z.number().int(),
  eligible: z.boolean(),
  /** Why this member gets no work, when not eligible. */
  reason: z.string().nullable(),
});
export type QueueProgress = z.infer<typeof QueueProgressSchema>;

export const QueueNextSchema = z.object({ task: TaskSchema.nullable(), progress: QueueProgressSchema });
export type QueueNext = z.infer<typeof QueueNextSchema>;

// ---------------------------------------------------------------- judgments

/**
 * Where a judgment came from: made in Accord's ordinary work, imported, or kept from a calibration
 * session whose lead chose to keep its judgments as training judgments (each participant's last blind
 * judgment of each item; see docs/server.md, "Calibration sessions").
 */
export const JudgmentSourceSchema = z.enum(['accord', 'import', 'calibration']);
export type JudgmentSource = z.infer<typeof JudgmentSourceSchema>;

export const JudgmentSchema = z.object({
  id: IdSchema,
  projectId: IdSchema,
  itemId: IdSchema,
  /** Null (and `user` blank) for reviewers when the project's adjudication is blind (`consensus.blind`). */
  userId: IdSchema.nullable(),
  assignmentId: IdSchema.nullable(),
  status: z.enum(['draft', 'submitted']),
  source: JudgmentSourceSchema,
  rubricVersion: z.number().int().nullable(),
  payload: z.record(z.string(), z.unknown()),
  /** Response ids in the order the trainer saw them. */
  responseOrder: z.array(z.string()).nullable(),
  timeSpentMs: z.number().int().nullable(),
  createdAt: TimestampSchema,
  submittedAt: TimestampSchema.nullable(),
  item: z.object({ externalId: z.string().nullable(), prompt: z.string() }),
  user: z.object({ name: z.string(), email: z.string() }),
});
export type Judgment = z.infer<typeof JudgmentSchema>;

export const JudgmentListQuerySchema = PageQuerySchema.extend({
  /** Only the caller's own judgments (trainers always see only their own). */
  mine: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional(),
  itemId: IdSchema.optional(),
  userId: IdSchema.optional(),
  status: z.enum(['draft', 'submitted']).default('submitted'),
  source: JudgmentSourceSchema.optional(),
  rubricVersion: z.coerce.number().int().min(1).max(1_000_000).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
});
export type JudgmentListQuery = z.infer<typeof JudgmentListQuerySchema>;

// ---------------------------------------------------------------- import

export const ImportKindSchema = z.enum(['items', 'judgments']);
export const ImportFormatSchema = z.enum(['jsonl', 'csv', 'label-studio']);

export const ImportQuerySchema = z.object({
  kind: ImportKindSchema.default('items'),
  format: ImportFormatSchema.default('jsonl'),
  fileName: z.string().trim().max(255).default(''),
});
export type ImportQuery = z.infer<typeof ImportQuerySchema>;

export const ImportJobParamsSchema = z.object({ projectId: IdSchema, jobId: IdSchema });

export const ImportJobSchema = z.object({
  id: IdSchema,
  kind: ImportKindSchema,
  format: ImportFormatSchema,
  fileName: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  bytesRead: z.number().int(),
  bytesTotal: z.number().int(),
  linesRead: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  rejected: z.number().int(),
  /** The first rejected lines (up to 1,000), by line number. */
  errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  message: z.string().nullable(),
  createdAt: TimestampSchema,
  finishedAt: TimestampSchema.nullable(),
});
export type ImportJob = z.infer<typeof ImportJobSchema>;

/** Import limits, shared by the server (enforced) and the web app (shown). */
export const IMPORT_LIMITS = {
  maxLineBytes: 2 * 1024 * 1024,
  maxResponses: 20,
  maxFieldChars: 200_000,
  maxDepth: 32,
  maxErrorsKept: 1000,
} as const;

const ExternalIdSchema = z.union([z.string().trim().min(1).max(200), z.number().int().transform(String)]);

export const ImportResponseSchema = z.strictObject({
  id: ResponseIdSchema.regex(/^[A-Za-z0-9_.:-]+$/, { message: 'must be letters, digits, _ . : or -' }).optional(),
  model: z.string().max(200).default(''),
  kind: ItemResponseSchema.shape.kind,
  content: z.string().max(IMPORT_LIMITS.maxFieldChars, { message: `must be at most ${IMPORT_LIMITS.maxFieldChars} characters` }),
});

/** One item in Accord's import format (a JSONL line, a CSV row or a Label Studio task, normalised). */
export const ImportItemSchema = z.strictObject({
  externalId: ExternalIdSchema,
  prompt: z.string().min(1, { message: 'must not be empty' }).max(IMPORT_LIMITS.maxFieldChars),
  context: z.array(TurnSchema).max(100).default([]),
  /** Pairwise and ranking items need 2 or more (checked per project kind); rating, classification and writing items take 0 or 1. */
  responses: z.array(ImportResponseSchema).max(IMPORT_LIMITS.maxResponses).default([]),
  reference: z.string().max(IMPORT_LIMITS.maxFieldChars).nullable().optional(),
  /** A known judgment; items with one are gold items. */
  gold: z.strictObject({ preference: PreferenceSchema }).nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type ImportItem = z.infer<typeof ImportItemSchema>;

/** One existing judgment from another tool. */
export const ImportJudgmentSchema = z.strictObject({
  externalId: ExternalIdSchema,
  /** A user id, an email, or another tool's annotator id (unknown ones become placeholder members). */
  annotator: z.union([z.string().trim().min(1).max(200), z.number().int().transform(String)]),
  /** A model judge (e.g. GPT-3.5's verdicts) is marked as such and counted apart from human trainers. */
  annotatorKind: z.enum(['human', 'model']).default('human'),
  judgment: z.strictObject({
    preference: PreferenceSchema,
    scores: JudgmentPayloadSchema.shape.scores,
    spans: JudgmentPayloadSchema.shape.spans,
    flags: JudgmentPayloadSchema.shape.flags,
    justification: JudgmentPayloadSchema.shape.justification,
  }),
  submittedAt: TimestampSchema.optional(),
  timeSpentMs: TimeSpentSchema.optional(),
});
export type ImportJudgment = z.infer<typeof ImportJudgmentSchema>;

export const JudgmentParamsSchema = z.object({ projectId: IdSchema, judgmentId: IdSchema });

/**
 * A submitted judgment with what it was made on, to show it read-only in the judging form: the item
 * as its trainer saw it (their response order; model names as the project shows them) and the
 * rubric version it was judged under.
 */
export const JudgmentViewSchema = z.object({
  judgment: JudgmentSchema,
  taskKind: TaskKindSchema,
  item: TaskItemSchema,
  /** Response ids in the order the trainer saw them (the item's own order for imported judgments). */
  responseOrder: z.array(z.string()),
  canonicalOrder: z.array(z.string()),
  rubric: PublishedRubricRefSchema.nullable(),
});
export type JudgmentView = z.infer<typeof JudgmentViewSchema>;

/** `submit?next=1`: the answer also carries the caller's next task, so the trainer loop is one request per judgment. */
export const SubmitQuerySchema = z.object({
  next: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional(),
});
export type SubmitQuery = z.infer<typeof SubmitQuerySchema>;

export const SubmitResultSchema = z.object({
  judgment: JudgmentSchema,
  repeated: z.boolean(),
  /** With `?next=1` only: what `queue/next` would answer right after this submit (the next task, or null when done, and the progress). */
  next: QueueNextSchema.optional(),
});
export const DraftSavedSchema = z.object({ savedAt: TimestampSchema });
export const ImportJobListSchema = z.object({ items: z.array(ImportJobSchema) });
