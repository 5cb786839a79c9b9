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
});
export type Item = z.infer<typeof ItemSchema>;

export const ITEM_SORT_KEYS = ['createdAt', 'externalId'] as const;
export const ItemListQuerySchema = PageQuerySchema.extend({
  q: z.string().trim().max(200).optional(),
  sort: z.enum(ITEM_SORT_KEYS).default('createdAt'),
  order: SortOrderSchema.default('asc'),
  /** Only items with (or without) a gold label; leads only, as gold labels are. */
  gold: z.enum(['with', 'without']).optional(),
});
export type ItemListQuery = z.infer<typeof ItemListQuerySchema>;
