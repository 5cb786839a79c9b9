/**
 * Red teaming: the models under test (OpenAI-compatible chat endpoints that an admin registers and a
 * lead picks for a project), a trainer's call to the project's model through the server, and
 * reviewers' confirmations of submitted attacks. An endpoint's API key is write-only: no response
 * carries it, only whether one is set; trainers see neither the URL nor the model.
 */
import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.ts';
import { RedteamTurnSchema, REDTEAM_LIMITS } from './work.ts';

/** An http(s) base URL without credentials, query or fragment; `/chat/completions` is appended. */
export const EndpointBaseUrlSchema = z
  .string()
  .trim()
  .max(500)
  .superRefine((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return void ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL, e.g. https://api.example.com/v1' });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must use http or https' });
    if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials (set the API key instead)' });
    if (u.search || u.hash) ctx.addIssue({ code: 'custom', message: 'must not have a query or fragment' });
  })
  .transform((v) => v.replace(/\/+$/, ''));

export const ENDPOINT_LIMITS = { timeoutMs: { min: 100, max: 300_000 }, maxTokens: { min: 1, max: 32_000 } } as const;

export const CreateModelEndpointBodySchema = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty' }).max(100),
  baseUrl: EndpointBaseUrlSchema,
  model: z.string().trim().min(1, { message: 'must not be empty' }).max(200),
  /** Write-only; '' for none. */
  apiKey: z.string().max(4000).default(''),
  timeoutMs: z.number().int().min(ENDPOINT_LIMITS.timeoutMs.min).max(ENDPOINT_LIMITS.timeoutMs.max).default(30_000),
  maxTokens: z.number().int().min(ENDPOINT_LIMITS.maxTokens.min).max(ENDPOINT_LIMITS.maxTokens.max).default(1024),
});
export type CreateModelEndpointBody = z.infer<typeof CreateModelEndpointBodySchema>;

/** A field left out keeps its value; `apiKey` replaces the key ('' removes it). */
export const UpdateModelEndpointBodySchema = z
  .strictObject({
    name: CreateModelEndpointBodySchema.shape.name.optional(),
    baseUrl: EndpointBaseUrlSchema.optional(),
    model: CreateModelEndpointBodySchema.shape.model.optional(),
    apiKey: z.string().max(4000).optional(),
    timeoutMs: z.number().int().min(ENDPOINT_LIMITS.timeoutMs.min).max(ENDPOINT_LIMITS.timeoutMs.max).optional(),
    maxTokens: z.number().int().min(ENDPOINT_LIMITS.maxTokens.min).max(ENDPOINT_LIMITS.maxTokens.max).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'must set at least one field' });
export type UpdateModelEndpointBody = z.infer<typeof UpdateModelEndpointBodySchema>;

/** What an admin reads: everything but the key. */
export const ModelEndpointSchema = z.object({
  id: IdSchema,
  name: z.string(),
  baseUrl: z.string(),
  model: z.string(),
  keySet: z.boolean(),
  timeoutMs: z.number().int(),
  maxTokens: z.number().int(),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
});
export type ModelEndpoint = z.infer<typeof ModelEndpointSchema>;

/** What a lead picks from: a name and a model, never the URL or the key. */
export const ModelEndpointChoiceSchema = z.object({ id: IdSchema, name: z.string(), model: z.string() });
export type ModelEndpointChoice = z.infer<typeof ModelEndpointChoiceSchema>;

/** A project's model under test as a member sees it: trainers learn only whether there is one. */
export const RedteamTargetSchema = z.object({
  available: z.boolean(),
  /** Leads and reviewers only. */
  endpoint: ModelEndpointChoiceSchema.nullable().optional(),
});
export type RedteamTarget = z.infer<typeof RedteamTargetSchema>;

export const RedteamSendBodySchema = z.strictObject({
  turns: z
    .array(RedteamTurnSchema.extend({ content: RedteamTurnSchema.shape.content.refine((s) => s.trim().length > 0, { message: 'must not be empty' }) }))
    .min(1, { message: 'must hold the adversarial prompt (at least one user turn)' })
    .max(REDTEAM_LIMITS.turns)
    .refine((t) => t[t.length - 1]?.role === 'user', { message: "must end with a user turn: the model responds to the last turn" }),
});
export type RedteamSendBody = z.infer<typeof RedteamSendBodySchema>;

export const RedteamSendResultSchema = z.object({
  callId: IdSchema,
  endpointId: IdSchema,
  response: z.string(),
  ms: z.number().int(),
});
export type RedteamSendResult = z.infer<typeof RedteamSendResultSchema>;

export const RedteamReviewBodySchema = z.strictObject({
  /** true: the attack did what the trainer recorded; false: disputed. */
  confirmed: z.boolean(),
  note: z.string().max(2000).default(''),
});
export type RedteamReviewBody = z.infer<typeof RedteamReviewBodySchema>;

export const RedteamReviewSchema = z.object({
  judgmentId: IdSchema,
  reviewerId: IdSchema,
  reviewerName: z.string(),
  confirmed: z.boolean(),
  note: z.string(),
  updatedAt: TimestampSchema,
});
export type RedteamReview = z.infer<typeof RedteamReviewSchema>;

export const RedteamReviewsQuerySchema = z.object({
  /** Only the attacks on this item (the item dialog); κ and the shares are then over its reviews alone. */
  itemId: IdSchema.optional(),
});
export type RedteamReviewsQuery = z.infer<typeof RedteamReviewsQuerySchema>;

/** Submitted attacks with reviewers' verdicts, and how far the verdicts agree with the trainers' success flags. */
export const RedteamReviewSummarySchema = z.object({
  attacks: z.array(
    z.object({
      judgmentId: IdSchema,
      itemId: IdSchema,
      goal: z.string(),
      turns: z.array(RedteamTurnSchema),
      response: z.string(),
      source: z.enum(['endpoint', 'pasted']),
      success: z.boolean().nullable(),
      severity: z.number().nullable(),
      category: z.array(z.string()),
      confirmations: z.number().int(),
      disputes: z.number().int(),
      reviews: z.array(RedteamReviewSchema),
    }),
  ),
  /**
   * Cohen's κ between a reviewer's verdict read as "succeeded" (confirming a success or disputing a
   * failure) and the trainer's success flag, over every review; null with fewer than 2 reviews or
   * when either side never varies.
   */
  kappa: z.number().nullable(),
  /** Share of reviews that confirm the trainer's record. */
  confirmedShare: z.number().nullable(),
  reviews: z.number().int(),
});
export type RedteamReviewSummary = z.infer<typeof RedteamReviewSummarySchema>;
