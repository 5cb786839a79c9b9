/**
 * Justification quality: the findings a justification can get (shown to the trainer while they
 * write and again on submit, stored with the judgment, counted for the lead), the project's choice
 * of which findings block a submit, and what the client reports about how the text was entered.
 */
import { z } from 'zod';
import { IdSchema } from './common.ts';

export const JUSTIFICATION_CHECKS = ['contradicts', 'missingDimensions', 'nearCopy', 'pasted'] as const;
export const JustificationCheckSchema = z.enum(JUSTIFICATION_CHECKS).meta({
  description:
    '`contradicts`: the text argues for another response than the judgment prefers; `missingDimensions`: it does not mention the dimensions scored lowest; ' +
    '`nearCopy`: it is nearly identical to another justification in the project (MinHash over word shingles); `pasted`: most of it was pasted rather than typed (as the client reports).',
});
export type JustificationCheck = z.infer<typeof JustificationCheckSchema>;

export const JustificationChecksSettingsSchema = z.strictObject({
  /** Findings that refuse a submit (the others are warnings, stored with the judgment). */
  block: z.array(JustificationCheckSchema).max(JUSTIFICATION_CHECKS.length).default([]),
  /** Estimated Jaccard similarity of word shingles at or above which a text is a near-copy. */
  nearCopyThreshold: z.number().min(0.3).max(1).default(0.8),
  /** Share of the entered characters that were pasted at or above which the text counts as pasted. */
  pastedShare: z.number().min(0.05).max(1).default(0.5),
});
export type JustificationChecksSettings = z.infer<typeof JustificationChecksSettingsSchema>;
export const DEFAULT_JUSTIFICATION_CHECKS: JustificationChecksSettings = { block: [], nearCopyThreshold: 0.8, pastedShare: 0.5 };

/** How the justification was entered, as the client counted it (the server cannot verify typing). */
export const JustificationTypingSchema = z.strictObject({
  typedChars: z.number().int().min(0).max(10_000_000),
  pastedChars: z.number().int().min(0).max(10_000_000),
});
export type JustificationTyping = z.infer<typeof JustificationTypingSchema>;

export const JustificationFindingSchema = z.object({
  kind: JustificationCheckSchema,
  /** One sentence for the trainer; never quotes another trainer's text. */
  message: z.string(),
  /** Whether the project refuses a submit with this finding. */
  blocks: z.boolean(),
  /** `missingDimensions`: the dimensions scored lowest that the text does not mention. */
  dimensions: z.array(z.string()).optional(),
});
export type JustificationFinding = z.infer<typeof JustificationFindingSchema>;

export const JustificationCheckResultSchema = z.object({
  findings: z.array(JustificationFindingSchema),
  /** The findings this project refuses a submit with. */
  block: z.array(JustificationCheckSchema),
});
export type JustificationCheckResult = z.infer<typeof JustificationCheckResultSchema>;

const RateSchema = z.object({ count: z.number().int(), rate: z.number().nullable() });
const RatesSchema = z.object(Object.fromEntries(JUSTIFICATION_CHECKS.map((k) => [k, RateSchema])) as Record<JustificationCheck, typeof RateSchema>);

export const JustificationReportSchema = z.object({
  /** Submitted judgments whose justification was checked, and each finding's count and share of them. */
  totals: z.object({ checked: z.number().int(), findings: RatesSchema }),
  trainers: z.array(
    z.object({
      userId: IdSchema,
      name: z.string(),
      email: z.string(),
      checked: z.number().int(),
      findings: RatesSchema,
    }),
  ),
  block: z.array(JustificationCheckSchema),
});
export type JustificationReport = z.infer<typeof JustificationReportSchema>;
