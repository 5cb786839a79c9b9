import { z } from 'zod';
import { IdSchema, PageQuerySchema, SortOrderSchema, TimestampSchema } from './common.ts';

export const ResponseKindSchema = z.enum(['markdown', 'code', 'image']);

export const ItemResponseSchema = z.object({
  id: z.string().min(1).max(100),
  model: z.string().max(200),
  kind: ResponseKindSchema.default('markdown'),
  content: z.string().max(200_000),
});
export type ItemResponse = z.infer<typeof ItemResponseSchema>;

export const TurnSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(200_000),
});

export const ItemSchema = z.object({
  id: IdSchema,
  projectId: IdSchema,
  externalId: z.string(),
  prompt: z.string(),
  context: z.array(TurnSchema),
  responses: z.array(ItemResponseSchema),
  reference: z.string().nullable(),
  /** Only leads see gold labels (`{ preference }`, as imported); for everyone else this is null. */
  gold: z.record(z.string(), z.unknown()).nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: TimestampSchema,
  /** Submitted judgments of the item (all annotators). */
  judgments: z.number().int(),
  /** Percent agreement of its judgments (3-way view of the preference; rankings: agreeing response pairs); null under 2 judgments. */
  agreement: z.number().nullable(),
  /** Spread of its judgments: standard deviation of the graded preference (rankings: mean SD of each response's rank); null under 2. */
  spread: z.number().nullable(),
  /**
   * The item's current consensus label and how it came to be (the methods of contracts/consensus.ts'
   * `ConsensusMethodSchema`, repeated here as that module imports this one), or null.
   */
  consensus: z.object({ labelId: IdSchema, method: z.enum(['unanimous', 'majority', 'dawid-skene', 'bradley-terry', 'adjudicated']) }).nullable(),
  /** The item's open dispute, or null. */
  dispute: z.object({ id: IdSchema, reason: z.enum(['disagreement', 'gold-missed', 'serious-flag', 'manual', 'reopened']) }).nullable(),
  /** Submitted judgments of the item that raise a rubric flag (the item is broken, unsafe, …). */
  flagged: z.number().int(),
});
export type Item = z.infer<typeof ItemSchema>;

export const ITEM_SORT_KEYS = ['createdAt', 'externalId', 'judgments', 'agreement', 'spread', 'flagged'] as const;
/** Unknown parameters are refused (400 naming them). Items without a figure sort last and fail a bound on it. */
export const ItemListQuerySchema = z.strictObject({
  ...PageQuerySchema.shape,
  q: z.string().trim().max(200).optional(),
  sort: z.enum(ITEM_SORT_KEYS).default('createdAt'),
  order: SortOrderSchema.default('asc'),
  /** Only items with (or without) a gold label; leads only, as gold labels are. */
  gold: z.enum(['with', 'without']).optional(),
  minJudgments: z.coerce.number().int().min(0).max(1_000_000).optional(),
  maxJudgments: z.coerce.number().int().min(0).max(1_000_000).optional(),
  minAgreement: z.coerce.number().min(0).max(1).optional(),
  maxAgreement: z.coerce.number().min(0).max(1).optional(),
  minSpread: z.coerce.number().min(0).max(100).optional(),
  /** Only items some judgment flagged (`with`), or none did (`without`). */
  flagged: z.enum(['with', 'without']).optional(),
  maxSpread: z.coerce.number().min(0).max(100).optional(),
  /** `consensus`: items with a current consensus label; `disputed`: items with an open dispute. */
  status: z.enum(['consensus', 'disputed']).optional(),
});
export type ItemListQuery = z.infer<typeof ItemListQuerySchema>;
