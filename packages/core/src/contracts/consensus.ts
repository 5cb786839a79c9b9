/**
 * Consensus and disputes: the labels an item's human judgments become, and the disputes reviewers
 * settle together in a live room (`dispute:<disputeId>`, see collab's shapes/dispute.ts) before a
 * label is committed. Trainers never see any of it (403 on every route here): a consensus or a
 * dispute would tell them how others judged.
 *
 * Rules (project settings `consensus.rule`, docs/consensus.md) — computed once an item has its k
 * (project overlap) submitted or imported human judgments; model judges never count:
 * - `unanimous`: every judgment agrees on the 3-way direction (pairwise: first better / tie / second
 *   better in the item's canonical order) or on the same order (rankings);
 * - `majority`: the modal 3-way direction's share of the judgments must EXCEED `threshold` (0.5:
 *   more than half); a tie (value 0) is a class like the other two;
 * - `dawid-skene`: 3-way preferences, trainers weighted by the reliability Dawid–Skene estimates over
 *   all of the project's human judgments; the winning class's posterior must exceed `threshold`;
 * - `bradley-terry`: rankings ordered by Bradley–Terry strengths fitted to the item's k rankings;
 *   agreement is Kendall's W, met when W exceeds `threshold`.
 * A label is `{ preference, scores, spans }` in the item's canonical response order: the pairwise
 * graded value is the median of the judgments in the winning direction; each score the majority
 * (ties: the median) of the levels given; a span is kept when more than half of the judgments mark
 * an overlapping span of the same category. Met: committed automatically with its provenance
 * (method, agreement, rubric version, judgment ids, count). Not met: a dispute opens with its reason.
 *
 * Disputes also open when a gold item is missed by most of its judgments (`gold-missed`), when a
 * judgment carries one of `consensus.seriousFlags` (`serious-flag`), by hand (`manual`), and when a
 * lead reopens a committed label (`reopened`). Changes are announced by the realtime event
 * `disputes:changed` (to sockets that joined the project with `quality:join`); clients refetch.
 */
import { z } from 'zod';
import { IdSchema, PageQuerySchema, TimestampSchema, pageOf } from '../schemas/common.ts';
import { ItemResponseSchema, TurnSchema } from '../schemas/items.ts';
import { ProjectParamsSchema, TaskKindSchema } from '../schemas/projects.ts';
import { JudgmentSourceSchema, PreferenceSchema, ScoreSchema, SpanSchema } from '../schemas/work.ts';
import { defineContracts } from './contract.ts';

// ---------------------------------------------------------------- enums

export const CONSENSUS_METHODS = ['unanimous', 'majority', 'dawid-skene', 'bradley-terry', 'adjudicated'] as const;
export const ConsensusMethodSchema = z.enum(CONSENSUS_METHODS).meta({ description: 'How the label came to be: a rule met automatically, or `adjudicated` (a dispute committed).' });
export type ConsensusMethod = z.infer<typeof ConsensusMethodSchema>;

export const DISPUTE_REASONS = ['disagreement', 'gold-missed', 'serious-flag', 'manual', 'reopened'] as const;
export const DisputeReasonSchema = z.enum(DISPUTE_REASONS).meta({
  description: '`disagreement`: the rule was not met; `gold-missed`: most judgments of a gold item differ from gold; `serious-flag`: a judgment raised a serious flag; `manual`: opened by a reviewer or lead; `reopened`: a lead reopened a committed label.',
});
export type DisputeReason = z.infer<typeof DisputeReasonSchema>;

export const DISPUTE_TAGS = ['trainer-error', 'ambiguous-item', 'guideline-gap', 'gold-wrong'] as const;
export const DisputeTagSchema = z.enum(DISPUTE_TAGS).meta({ description: "The adjudicators' verdict on why the item was disputed; `guideline-gap` adds a rubric change proposal to the rubric draft." });
export type DisputeTag = z.infer<typeof DisputeTagSchema>;

export const DISPUTE_STATUSES = ['open', 'committed', 'cancelled'] as const;
export const DisputeStatusSchema = z.enum(DISPUTE_STATUSES);
export type DisputeStatus = z.infer<typeof DisputeStatusSchema>;

// ---------------------------------------------------------------- labels

/** A consensus label's content, in the item's canonical response order (as a judgment stores it). */
export const ConsensusPayloadSchema = z
  .object({
    preference: PreferenceSchema,
    scores: z.array(ScoreSchema),
    spans: z.array(SpanSchema),
  })
  .meta({ description: 'The consensus: preference or ranking, per-dimension scores and spans, in the item\'s canonical response order.' });
export type ConsensusPayload = z.infer<typeof ConsensusPayloadSchema>;

export const UserRefSchema = z.object({ userId: IdSchema, name: z.string() });

export const ConsensusLabelSchema = z.object({
  id: IdSchema,
  itemId: IdSchema,
  /** The item's id in the imported data (null for items without one). */
  itemExternalId: z.string().nullable(),
  label: ConsensusPayloadSchema,
  method: ConsensusMethodSchema,
  /** The rule's agreement figure (share agreeing with the label; DS posterior; Kendall's W); null when not defined. */
  agreement: z.number().nullable(),
  /** The rubric version the label was validated against (null: the judgments had none, e.g. imported). */
  rubricVersion: z.number().int().nullable(),
  /** The judgments the label was computed from or adjudicated over, and how many. */
  judgmentIds: z.array(IdSchema),
  judgments: z.number().int(),
  /** The dispute it settled (adjudicated labels). */
  disputeId: IdSchema.nullable(),
  rationale: z.string(),
  tag: DisputeTagSchema.nullable(),
  committedBy: UserRefSchema.nullable(),
  committedAt: TimestampSchema,
  /** Set when a lead reopened it (it is history then, no longer the item's current label). */
  supersededAt: TimestampSchema.nullable(),
  supersededBy: UserRefSchema.nullable(),
});
export type ConsensusLabel = z.infer<typeof ConsensusLabelSchema>;

export const ConsensusLabelPageSchema = pageOf(ConsensusLabelSchema);

export const ConsensusListQuerySchema = PageQuerySchema.extend({
  method: ConsensusMethodSchema.optional(),
  /** Only labels whose agreement is at least this (labels without an agreement figure are left out). */
  minAgreement: z.coerce.number().min(0).max(1).optional(),
  rubricVersion: z.coerce.number().int().min(1).max(1_000_000).optional(),
  itemId: IdSchema.optional(),
  /** `current` (default): the items' current labels; `all`: superseded ones too. */
  state: z.enum(['current', 'all']).default('current'),
  order: z.enum(['asc', 'desc']).default('asc'),
}).strict();
export type ConsensusListQuery = z.infer<typeof ConsensusListQuerySchema>;

export const ConsensusLabelParamsSchema = z.object({ projectId: IdSchema, labelId: IdSchema });

export const ConsensusLabelDetailSchema = ConsensusLabelSchema.extend({
  /** Every label of the item, newest first, this one included (superseded ones have `supersededAt`). */
  history: z.array(ConsensusLabelSchema),
});
export type ConsensusLabelDetail = z.infer<typeof ConsensusLabelDetailSchema>;

export const ReopenBodySchema = z.strictObject({
  note: z.string().trim().min(1, { message: 'must not be empty' }).max(2000, { message: 'must be at most 2000 characters' }),
});
export type ReopenBody = z.infer<typeof ReopenBodySchema>;

// ---------------------------------------------------------------- disputes

export const DisputeSummarySchema = z.object({
  id: IdSchema,
  itemId: IdSchema,
  itemExternalId: z.string().nullable(),
  reason: DisputeReasonSchema,
  /** The reason in words, e.g. "2 of 3 agree (0.67); the rule needs more than 0.70". */
  detail: z.string(),
  status: DisputeStatusSchema,
  /** The item's agreement when the dispute opened (null when not defined). */
  agreement: z.number().nullable(),
  openedAt: TimestampSchema,
  /** Seconds since it opened (when answered). */
  ageSeconds: z.number().int(),
  openedBy: UserRefSchema.nullable(),
  /** Sign-offs recorded on the dispute (each counts only while the proposal it signed is unchanged; see the detail). */
  signOffs: z.number().int(),
  /** Sign-offs a reviewer's commit needs (project setting `consensus.signOffs`). */
  signOffsNeeded: z.number().int(),
  /** The live document of the adjudication room: `dispute:<id>`. */
  doc: z.string(),
  labelId: IdSchema.nullable(),
  committedAt: TimestampSchema.nullable(),
  committedBy: UserRefSchema.nullable(),
});
export type DisputeSummary = z.infer<typeof DisputeSummarySchema>;

export const DisputePageSchema = pageOf(DisputeSummarySchema);

export const DisputeListQuerySchema = PageQuerySchema.extend({
  status: z.enum(['open', 'committed', 'cancelled', 'all']).default('open'),
  reason: DisputeReasonSchema.optional(),
  /** `reason` (default): by reason (serious-flag, gold-missed, reopened, disagreement, manual), then oldest first; `age`: oldest first; `agreement`: lowest first. `order: desc` reverses. */
  sort: z.enum(['reason', 'age', 'agreement']).default('reason'),
  order: z.enum(['asc', 'desc']).default('asc'),
}).strict();
export type DisputeListQuery = z.infer<typeof DisputeListQuerySchema>;

export const DisputeParamsSchema = z.object({ projectId: IdSchema, disputeId: IdSchema });
export const ItemDisputeParamsSchema = z.object({ projectId: IdSchema, itemId: IdSchema });

export const DisputeJudgmentSchema = z.object({
  /** Null when the adjudication is blind (`consensus.blind`): the judgments list would name its author. */
  id: IdSchema.nullable(),
  /** Who judged; null when the project's adjudication is blind (`consensus.blind`). */
  annotator: UserRefSchema.nullable(),
  /** A stable label for the judgment within the dispute ("Judgment 1" …), shown in place of names when blind. */
  label: z.string(),
  kind: z.enum(['human', 'model']),
  source: JudgmentSourceSchema,
  rubricVersion: z.number().int().nullable(),
  preference: PreferenceSchema,
  scores: z.array(ScoreSchema),
  spans: z.array(SpanSchema),
  flags: z.array(z.string()),
  justification: z.string(),
  submittedAt: TimestampSchema.nullable(),
  timeSpentMs: z.number().int().nullable(),
  /**
   * Response ids in the order the annotator saw them (null: not recorded). Their justification's
   * "Response A" is the first of these, which need not be the A of the item's own order.
   */
  responseOrder: z.array(z.string()).nullable().default(null),
});
export type DisputeJudgment = z.infer<typeof DisputeJudgmentSchema>;

export const DisputeSignoffSchema = z.object({
  userId: IdSchema,
  name: z.string(),
  signedAt: TimestampSchema,
  /** The digest of the proposal signed … */
  proposal: z.string(),
  /** … and whether it is the room's current proposal (only current sign-offs count). */
  current: z.boolean(),
});
export type DisputeSignoff = z.infer<typeof DisputeSignoffSchema>;

/** The rule's result on the item now (the room's proposal is seeded from it when empty). */
export const ComputedConsensusSchema = z.object({
  rule: z.enum(['unanimous', 'majority', 'dawid-skene', 'bradley-terry']),
  /** Null when no label can be formed (e.g. no human judgments). */
  label: ConsensusPayloadSchema.nullable(),
  agreement: z.number().nullable(),
  met: z.boolean(),
  /** Why not met, in words (empty when met). */
  reason: z.string(),
});
export type ComputedConsensus = z.infer<typeof ComputedConsensusSchema>;

export const DisputeDetailSchema = z.object({
  dispute: DisputeSummarySchema,
  taskKind: TaskKindSchema,
  /** The item, responses in its canonical order (the order proposals and labels use). */
  item: z.object({
    id: IdSchema,
    externalId: z.string().nullable(),
    prompt: z.string(),
    context: z.array(TurnSchema),
    responses: z.array(ItemResponseSchema),
    reference: z.string().nullable(),
    /** The item's gold preference, when it is a gold item; leads only (null for reviewers, as in the items list). */
    gold: PreferenceSchema.nullable(),
  }),
  /** Every submitted judgment of the item (humans and model judges), oldest first, read from the database. */
  judgments: z.array(DisputeJudgmentSchema),
  computed: ComputedConsensusSchema,
  /** The rubric version a commit validates the proposal against (the newest published; null when none). */
  rubricVersion: z.number().int().nullable(),
  /** The room's current proposal and its digest (null when the room has none yet). */
  proposal: ConsensusPayloadSchema.nullable(),
  proposalDigest: z.string().nullable(),
  signoffs: z.array(DisputeSignoffSchema),
  /** What the caller may do: write in the room, sign off, commit now. */
  you: z.object({ canWrite: z.boolean(), canSignOff: z.boolean(), canCommit: z.boolean() }),
  /** The committed label, once committed. */
  label: ConsensusLabelSchema.nullable(),
});
export type DisputeDetail = z.infer<typeof DisputeDetailSchema>;

export const OpenDisputeBodySchema = z.strictObject({
  note: z.string().trim().min(1, { message: 'must not be empty' }).max(2000, { message: 'must be at most 2000 characters' }),
});
export type OpenDisputeBody = z.infer<typeof OpenDisputeBodySchema>;

export const SignoffResultSchema = z.object({
  signoffs: z.array(DisputeSignoffSchema),
  /** Sign-offs on the current proposal, and how many a reviewer's commit needs. */
  current: z.number().int(),
  needed: z.number().int(),
});
export type SignoffResult = z.infer<typeof SignoffResultSchema>;

export const CommitResultSchema = z.object({
  label: ConsensusLabelSchema,
  dispute: DisputeSummarySchema,
  /** True for the request that wrote the label (201); false for retries and concurrent commits (200). */
  created: z.boolean(),
  /** The rubric draft proposal added for a `guideline-gap` verdict (its id in the draft's `rubric.proposals`). */
  rubricProposal: z.string().nullable(),
});
export type CommitResult = z.infer<typeof CommitResultSchema>;

export const PromoteGoldResultSchema = z.object({
  itemId: IdSchema,
  gold: PreferenceSchema,
  labelId: IdSchema,
});

// ---------------------------------------------------------------- contracts

const READERS = ['lead', 'reviewer'] as const;

export const consensusContracts = defineContracts('consensus', {
  list: {
    method: 'get',
    path: '/api/projects/:projectId/consensus',
    tag: 'consensus',
    summary: 'Committed consensus labels with provenance: method, agreement, rubric version, judgments used, commit time (lead, reviewer)',
    description:
      'Paginated; filters `method`, `minAgreement`, `rubricVersion`, `itemId`; `state=all` includes labels superseded by a reopen. Labels are in the item\'s canonical response order. Rules: docs/consensus.md.',
    access: { project: READERS },
    params: ProjectParamsSchema,
    query: ConsensusListQuerySchema,
    response: ConsensusLabelPageSchema,
  },
  get: {
    method: 'get',
    path: '/api/projects/:projectId/consensus/:labelId',
    tag: 'consensus',
    summary: "One consensus label with the item's history of labels (superseded ones kept) (lead, reviewer)",
    access: { project: READERS },
    params: ConsensusLabelParamsSchema,
    response: ConsensusLabelDetailSchema,
    errors: ['not_found'],
  },
  reopen: {
    method: 'post',
    path: '/api/projects/:projectId/consensus/:labelId/reopen',
    tag: 'consensus',
    summary: "Reopen a committed label (lead): it is superseded (kept in the item's history) and a dispute opens with reason `reopened` and the note",
    access: { project: ['lead'] },
    params: ConsensusLabelParamsSchema,
    body: ReopenBodySchema,
    response: DisputeSummarySchema,
    status: 201,
    errors: ['not_found', 'conflict'],
  },
});

export const disputesContracts = defineContracts('disputes', {
  list: {
    method: 'get',
    path: '/api/projects/:projectId/disputes',
    tag: 'disputes',
    summary: 'The dispute queue: item, reason in words, agreement, age, sign-offs; sorted by reason, age or agreement (lead, reviewer)',
    access: { project: READERS },
    params: ProjectParamsSchema,
    query: DisputeListQuerySchema,
    response: DisputePageSchema,
  },
  get: {
    method: 'get',
    path: '/api/projects/:projectId/disputes/:disputeId',
    tag: 'disputes',
    summary: "A dispute: the item and every judgment side by side (who and when, names hidden when adjudication is blind), the rule's result, the room's proposal, sign-offs and the committed label (lead, reviewer)",
    access: { project: READERS },
    params: DisputeParamsSchema,
    response: DisputeDetailSchema,
    errors: ['not_found'],
  },
  open: {
    method: 'post',
    path: '/api/projects/:projectId/items/:itemId/disputes',
    tag: 'disputes',
    summary: 'Open a dispute on an item by hand, with a note (lead, reviewer); 409 when the item already has an open dispute',
    access: { project: READERS },
    params: ItemDisputeParamsSchema,
    body: OpenDisputeBodySchema,
    response: DisputeSummarySchema,
    status: 201,
    errors: ['not_found', 'conflict'],
  },
  signoff: {
    method: 'post',
    path: '/api/projects/:projectId/disputes/:disputeId/signoff',
    tag: 'disputes',
    summary: "Sign off the room's current proposal (leads; reviewers when they adjudicate): the sign-off counts while the proposal is unchanged",
    description: 'Records a digest of the proposal as it is in the live document now; signing again after a change replaces it. 409 when the dispute is not open or the room has no complete proposal.',
    access: { project: READERS },
    params: DisputeParamsSchema,
    response: SignoffResultSchema,
    errors: ['not_found', 'conflict'],
  },
  withdrawSignoff: {
    method: 'delete',
    path: '/api/projects/:projectId/disputes/:disputeId/signoff',
    tag: 'disputes',
    summary: 'Withdraw your sign-off (leads; reviewers when they adjudicate)',
    access: { project: READERS },
    params: DisputeParamsSchema,
    response: SignoffResultSchema,
    errors: ['not_found', 'conflict'],
  },
  commit: {
    method: 'post',
    path: '/api/projects/:projectId/disputes/:disputeId/commit',
    tag: 'disputes',
    summary: "Commit the room's proposal as the item's consensus label (lead; reviewers when they adjudicate and the proposal has its sign-offs); first commit wins",
    description:
      "Send an `Idempotency-Key` header (1–200 visible ASCII characters). The proposal, rationale and tag are read from the live document, validated against the rubric version like a submitted judgment (400 naming `doc.proposal…`), and the label, its audit record and the dispute's status are written in one transaction; then the room freezes on every node. 201 with the label the first time; 200 with the same label on every retry or concurrent commit (any key). A `guideline-gap` tag adds a change proposal naming the dispute to the rubric draft.",
    access: { project: READERS },
    params: DisputeParamsSchema,
    response: CommitResultSchema,
    status: 201,
    errors: ['not_found', 'conflict'],
  },
  promoteGold: {
    method: 'post',
    path: '/api/projects/:projectId/disputes/:disputeId/gold',
    tag: 'disputes',
    summary: "Promote an adjudicated item to gold with its committed label's preference (lead)",
    access: { project: ['lead'] },
    params: DisputeParamsSchema,
    response: PromoteGoldResultSchema,
    errors: ['not_found', 'conflict'],
  },
});
