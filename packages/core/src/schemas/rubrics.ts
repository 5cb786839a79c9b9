/**
 * The rubric: its live draft (a Yjs document `rubric:<projectId>`, read as plain JSON by
 * @accord/collab) and the published, immutable versions. `RubricDraftSchema` is the shape only —
 * a draft may be half-written; `RubricSchema` adds every rule a published version must meet, and
 * its issue paths (`dimensions.2.levels.0.anchor`) name the field the editor shows the error at.
 */
import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.ts';

export const RUBRIC_LIMITS = {
  dimensions: 30,
  levels: 11,
  categories: 10,
  nameChars: 100,
  textChars: 5000,
  examples: 5,
  spanCategories: 30,
  flags: 30,
  precedence: 50,
  maxWords: 5000,
  ratingLevels: 21,
  taxonomyLabels: 200,
} as const;

// ---- shape (drafts)

export const RubricScaleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('binary') }),
  z.object({ kind: z.literal('likert'), min: z.literal(1), max: z.number().int() }),
  z.object({ kind: z.literal('categories'), options: z.array(z.string()) }),
]);
export type RubricScale = z.infer<typeof RubricScaleSchema>;

export const DimensionTargetSchema = z.enum(['response', 'comparison']);

const LevelShape = z.object({ value: z.number(), label: z.string(), anchor: z.string(), examples: z.array(z.string()).optional() });
const DimensionShape = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  scale: RubricScaleSchema,
  levels: z.array(LevelShape),
  weight: z.number(),
  target: DimensionTargetSchema,
});
const NamedShape = z.object({ id: z.string(), name: z.string(), description: z.string() });

/** Rating projects: the ordinal scale the item is rated on, lowest level first (e.g. 1..5, or valence −2..2). */
const RatingScaleShape = z.object({ levels: z.array(z.object({ value: z.number(), label: z.string(), anchor: z.string() })) });
/**
 * Classification projects: the labels (a parent makes a hierarchy) and whether a trainer may pick several.
 * Spans projects: the labels are the span types; `overlap` lets spans nest or overlap (absent: false).
 */
const TaxonomyShape = z.object({
  multiLabel: z.boolean(),
  overlap: z.boolean().optional(),
  labels: z.array(z.object({ id: z.string(), name: z.string(), parent: z.string().nullable(), description: z.string() })),
});
export type RatingScale = z.infer<typeof RatingScaleShape>;
export type Taxonomy = z.infer<typeof TaxonomyShape>;

export const RubricDraftSchema = z.object({
  dimensions: z.array(DimensionShape),
  precedence: z.array(z.object({ higher: z.string(), lower: z.string(), note: z.string() })),
  justification: z.object({ minWords: z.number(), maxWords: z.number() }),
  spanCategories: z.array(NamedShape),
  flags: z.array(NamedShape),
  /** Only rating projects use it (absent or null elsewhere, and in versions published before it). */
  rating: RatingScaleShape.nullable().optional(),
  /** Only classification and spans projects use it. */
  taxonomy: TaxonomyShape.nullable().optional(),
});
export type RubricDraft = z.infer<typeof RubricDraftSchema>;

// ---- rules (published versions)

const nonEmpty = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` });
const text = (max: number) => z.string().trim().max(max, { message: `must be at most ${max} characters` });
const KeySchema = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(64, { message: 'must be at most 64 characters' })
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'may contain letters, digits, - and _ only' });

export const RubricLevelSchema = z.object({
  value: z.number().int(),
  label: nonEmpty(RUBRIC_LIMITS.nameChars),
  anchor: nonEmpty(2000).describe('What a rating at this level means'),
  examples: z.array(nonEmpty(2000)).max(RUBRIC_LIMITS.examples, { message: `at most ${RUBRIC_LIMITS.examples} examples` }).optional(),
});
export type RubricLevel = z.infer<typeof RubricLevelSchema>;

const PublishedScaleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('binary') }),
  z.object({
    kind: z.literal('likert'),
    min: z.literal(1),
    max: z.number().int().min(2, { message: 'a Likert scale needs at least 2 points' }).max(RUBRIC_LIMITS.levels, { message: `at most ${RUBRIC_LIMITS.levels} points` }),
  }),
  z.object({
    kind: z.literal('categories'),
    options: z
      .array(nonEmpty(RUBRIC_LIMITS.nameChars))
      .min(2, { message: 'needs at least 2 categories' })
      .max(RUBRIC_LIMITS.categories, { message: `at most ${RUBRIC_LIMITS.categories} categories` }),
  }),
]);

/** The values a scale's levels must have, in order. */
export function scaleValues(scale: RubricScale): number[] {
  if (scale.kind === 'binary') return [0, 1];
  if (scale.kind === 'likert') return Array.from({ length: Math.max(0, scale.max) }, (_, i) => i + 1);
  return scale.options.map((_, i) => i);
}

export const RubricDimensionSchema = z
  .object({
    id: KeySchema,
    name: nonEmpty(RUBRIC_LIMITS.nameChars),
    description: nonEmpty(RUBRIC_LIMITS.textChars),
    scale: PublishedScaleSchema,
    levels: z.array(RubricLevelSchema).max(RUBRIC_LIMITS.levels),
    weight: z.number().positive({ message: 'must be greater than 0' }).max(100, { message: 'must be at most 100' }),
    target: DimensionTargetSchema,
  })
  .superRefine((d, ctx) => {
    const want = scaleValues(d.scale);
    const have = d.levels.map((l) => l.value);
    if (want.length !== have.length || want.some((v, i) => have[i] !== v))
      ctx.addIssue({ code: 'custom', path: ['levels'], message: `must be one level per scale point (${want.join(', ')})` });
  });
export type RubricDimension = z.infer<typeof RubricDimensionSchema>;

const NamedSchema = z.object({ id: KeySchema, name: nonEmpty(RUBRIC_LIMITS.nameChars), description: text(2000) });

export const RatingScaleSchema = z
  .object({
    levels: z
      .array(z.object({ value: z.number().int({ message: 'must be a whole number' }), label: nonEmpty(RUBRIC_LIMITS.nameChars), anchor: text(2000) }))
      .min(2, { message: 'a rating scale needs at least 2 levels' })
      .max(RUBRIC_LIMITS.ratingLevels, { message: `at most ${RUBRIC_LIMITS.ratingLevels} levels` }),
  })
  .superRefine((r, ctx) => {
    r.levels.forEach((l, i) => {
      const prev = r.levels[i - 1];
      if (prev && l.value <= prev.value) ctx.addIssue({ code: 'custom', path: ['levels', i, 'value'], message: `must be greater than the level before (${prev.value}): levels run from lowest to highest` });
    });
    uniqueBy(r.levels, (l) => l.label, 'levels', 'label', 'the label of level', ctx);
  });

export const TaxonomySchema = z
  .object({
    multiLabel: z.boolean(),
    /** Spans projects: whether a judgment's spans may nest or overlap. */
    overlap: z.boolean().default(false),
    labels: z
      .array(z.object({ id: KeySchema, name: nonEmpty(RUBRIC_LIMITS.nameChars), parent: z.string().nullable().default(null), description: text(2000) }))
      .min(2, { message: 'a taxonomy needs at least 2 labels' })
      .max(RUBRIC_LIMITS.taxonomyLabels, { message: `at most ${RUBRIC_LIMITS.taxonomyLabels} labels` }),
  })
  .superRefine((t, ctx) => {
    uniqueBy(t.labels, (l) => l.id, 'labels', 'id', 'label', ctx);
    uniqueBy(t.labels, (l) => l.name, 'labels', 'name', 'the name of label', ctx);
    const parent = new Map(t.labels.map((l) => [l.id, l.parent]));
    t.labels.forEach((l, i) => {
      if (l.parent === null) return;
      if (!parent.has(l.parent)) return void ctx.addIssue({ code: 'custom', path: ['labels', i, 'parent'], message: `must name another label of the taxonomy (${l.parent} is none)` });
      // Walk up: a label that reaches itself has no root.
      const seen = new Set([l.id]);
      for (let p: string | null | undefined = l.parent; p; p = parent.get(p)) {
        if (seen.has(p)) return void ctx.addIssue({ code: 'custom', path: ['labels', i, 'parent'], message: 'parents must not form a cycle' });
        seen.add(p);
      }
    });
  });

export const PrecedenceRuleSchema = z.object({ higher: z.string(), lower: z.string(), note: text(2000) });

function uniqueBy<T>(items: T[], key: (t: T) => string, path: string, field: string, what: string, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item).trim().toLowerCase();
    if (seen.has(k)) ctx.addIssue({ code: 'custom', path: [path, i, field], message: `duplicates ${what} ${seen.get(k)! + 1}` });
    else seen.set(k, i);
  });
}

export const RubricSchema = z
  .object({
    dimensions: z
      .array(RubricDimensionSchema)
      .max(RUBRIC_LIMITS.dimensions, { message: `at most ${RUBRIC_LIMITS.dimensions} dimensions` }),
    precedence: z.array(PrecedenceRuleSchema).max(RUBRIC_LIMITS.precedence),
    justification: z.object({
      minWords: z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be 0 or more' }),
      maxWords: z
        .number()
        .int({ message: 'must be a whole number' })
        .min(1, { message: 'must be at least 1' })
        .max(RUBRIC_LIMITS.maxWords, { message: `must be at most ${RUBRIC_LIMITS.maxWords}` }),
    }),
    spanCategories: z.array(NamedSchema).max(RUBRIC_LIMITS.spanCategories),
    flags: z.array(NamedSchema).max(RUBRIC_LIMITS.flags),
    rating: RatingScaleSchema.nullable().default(null),
    taxonomy: TaxonomySchema.nullable().default(null),
  })
  .superRefine((r, ctx) => {
    // A rating or classification rubric may consist of its scale or taxonomy alone.
    if (r.dimensions.length === 0 && !r.rating && !r.taxonomy) ctx.addIssue({ code: 'custom', path: ['dimensions'], message: 'a rubric needs at least one dimension' });
    uniqueBy(r.dimensions, (d) => d.id, 'dimensions', 'id', 'dimension', ctx);
    uniqueBy(r.dimensions, (d) => d.name, 'dimensions', 'name', 'the name of dimension', ctx);
    uniqueBy(r.spanCategories, (d) => d.name, 'spanCategories', 'name', 'span category', ctx);
    uniqueBy(r.flags, (d) => d.name, 'flags', 'name', 'flag', ctx);
    if (r.justification.minWords > r.justification.maxWords)
      ctx.addIssue({ code: 'custom', path: ['justification', 'minWords'], message: 'must not exceed the maximum' });
    const ids = new Set(r.dimensions.map((d) => d.id));
    const edges = new Map<string, string[]>();
    r.precedence.forEach((p, i) => {
      if (!ids.has(p.higher)) ctx.addIssue({ code: 'custom', path: ['precedence', i, 'higher'], message: 'must name a dimension of this rubric' });
      if (!ids.has(p.lower)) ctx.addIssue({ code: 'custom', path: ['precedence', i, 'lower'], message: 'must name a dimension of this rubric' });
      if (p.higher === p.lower) ctx.addIssue({ code: 'custom', path: ['precedence', i, 'lower'], message: 'must differ from the higher dimension' });
      edges.set(p.higher, [...(edges.get(p.higher) ?? []), p.lower]);
    });
    // Precedence must be acyclic, or "which dimension wins" has no answer.
    const state = new Map<string, 1 | 2>();
    const cyclic = (n: string): boolean => {
      if (state.get(n) === 1) return true;
      if (state.get(n) === 2) return false;
      state.set(n, 1);
      const hit = (edges.get(n) ?? []).some(cyclic);
      state.set(n, 2);
      return hit;
    };
    if ([...edges.keys()].some(cyclic)) ctx.addIssue({ code: 'custom', path: ['precedence'], message: 'precedence rules must not form a cycle' });
  });
export type Rubric = z.infer<typeof RubricSchema>;

// ---- REST

export const RubricVersionSummarySchema = z.object({
  version: z.number().int().min(1),
  note: z.string(),
  publishedAt: TimestampSchema,
  publishedBy: z.object({ id: IdSchema, name: z.string() }).nullable(),
  dimensions: z.number().int(),
});
export type RubricVersionSummary = z.infer<typeof RubricVersionSummarySchema>;

export const RubricVersionSchema = RubricVersionSummarySchema.extend({ content: RubricDraftSchema });
export type RubricVersion = z.infer<typeof RubricVersionSchema>;

export const RubricStateSchema = z.object({
  /** The live document's name, for `doc:join`. */
  doc: z.string(),
  draft: RubricDraftSchema,
  latest: RubricVersionSummarySchema.nullable(),
  canPublish: z.boolean(),
});
export type RubricState = z.infer<typeof RubricStateSchema>;

export const RubricVersionParamsSchema = z.object({ projectId: IdSchema, version: z.coerce.number().int().min(1).max(1_000_000) });

export const PublishRubricBodySchema = z.strictObject({ note: z.string().trim().max(500).default('') });

const DiffSideSchema = z.union([z.literal('draft'), z.coerce.number().int().min(1).max(1_000_000)]);
export const RubricDiffQuerySchema = z.object({ from: DiffSideSchema, to: DiffSideSchema.default('draft') });

export const RubricChangeSchema = z.object({
  kind: z.enum(['added', 'removed', 'changed', 'moved']),
  /** Dotted path of the field in the rubric, e.g. `dimensions.helpfulness.levels.2.anchor`. */
  path: z.string(),
  /** A readable name of what changed: `Helpfulness › level 2 (Somewhat) › anchor`. */
  label: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
});
export type RubricChange = z.infer<typeof RubricChangeSchema>;

export const RubricDiffSchema = z.object({
  from: z.union([z.literal('draft'), z.number().int()]),
  to: z.union([z.literal('draft'), z.number().int()]),
  changes: z.array(RubricChangeSchema),
});
export type RubricDiff = z.infer<typeof RubricDiffSchema>;
