import { z } from 'zod';
import { EmailSchema, IdSchema, NameSchema, PageQuerySchema, SortOrderSchema, TimestampSchema } from './common.ts';

export const PROJECT_ROLES = ['lead', 'reviewer', 'trainer'] as const;
export const ProjectRoleSchema = z.enum(PROJECT_ROLES);
export type ProjectRole = z.infer<typeof ProjectRoleSchema>;

/**
 * pairwise and ranking compare an item's responses; rating puts the item (its one response, else its
 * prompt) on the rubric's ordinal scale; classification picks labels of the rubric's taxonomy; spans
 * marks entity spans (character offsets, typed by the taxonomy's labels) in the same text; writing is
 * SFT demonstration writing: the trainer writes the ideal response to the prompt, or rewrites the item's
 * one model response, and a reviewer scores it on the rubric's dimensions; redteam writes an adversarial
 * prompt for the item's goal and labels the model's response (failure category from the rubric's
 * taxonomy, severity on its rating scale, whether the attack succeeded).
 */
export const TASK_KINDS = ['pairwise', 'ranking', 'rating', 'classification', 'spans', 'writing', 'redteam'] as const;
export const TaskKindSchema = z.enum(TASK_KINDS);
export type TaskKind = z.infer<typeof TaskKindSchema>;

export const ProjectSchema = z.object({
  id: IdSchema,
  name: z.string(),
  description: z.string(),
  taskKind: TaskKindSchema,
  archived: z.boolean(),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  /** The caller's role here; admins who are not members act as lead. */
  myRole: ProjectRoleSchema,
  /** `members` counts people; `models` counts model annotators (imported model judges), kept apart. */
  counts: z.object({ members: z.number().int(), models: z.number().int(), items: z.number().int() }),
  /** In the project list: whether you receive work here, and why not (paused, qualification, tier, domain). */
  work: z.object({ eligible: z.boolean(), reason: z.string().nullable() }).nullable().default(null),
});
export type Project = z.infer<typeof ProjectSchema>;

export const CreateProjectBodySchema = z.strictObject({
  name: NameSchema,
  description: z.string().trim().max(5000).default(''),
  taskKind: TaskKindSchema.default('pairwise'),
});
export type CreateProjectBody = z.infer<typeof CreateProjectBodySchema>;

export const UpdateProjectBodySchema = z
  .strictObject({
    name: NameSchema.optional(),
    description: z.string().trim().max(5000).optional(),
    archived: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'must set at least one field' });
export type UpdateProjectBody = z.infer<typeof UpdateProjectBodySchema>;

export const PROJECT_SORT_KEYS = ['name', 'createdAt', 'updatedAt'] as const;
export const ProjectListQuerySchema = PageQuerySchema.extend({
  q: z.string().trim().max(200).optional(),
  status: z.enum(['active', 'archived', 'all']).default('active'),
  sort: z.enum(PROJECT_SORT_KEYS).default('updatedAt'),
  order: SortOrderSchema.default('desc'),
});
export type ProjectListQuery = z.infer<typeof ProjectListQuerySchema>;

/** A lead paused the member's work in the project (no new work until resumed). */
export const MemberPauseSchema = z.object({ at: TimestampSchema, reason: z.string(), by: IdSchema.nullable() });
/** A lead enrolled the member in calibration (the next calibration session takes everyone enrolled). */
export const MemberCalibrationSchema = z.object({ at: TimestampSchema, note: z.string(), by: IdSchema.nullable() });

export const MemberSchema = z.object({
  userId: IdSchema,
  email: z.string(),
  name: z.string(),
  role: ProjectRoleSchema,
  active: z.boolean(),
  addedAt: TimestampSchema,
  /** Assignment eligibility (see the project's settings.eligibility): tier and domain tags. */
  tier: z.number().int(),
  tags: z.array(z.string()),
  /** 'model' for an imported model judge (e.g. GPT-3.5 verdicts): kept apart from human trainers. */
  kind: z.enum(['human', 'model']),
  paused: MemberPauseSchema.nullable().default(null),
  calibration: MemberCalibrationSchema.nullable().default(null),
  /** When the member passed the project's qualification (null: not passed). */
  qualifiedAt: TimestampSchema.nullable().default(null),
});
export type Member = z.infer<typeof MemberSchema>;

/** The highest tier; a project's `eligibility.minTier` has the same bound. */
export const MAX_MEMBER_TIER = 10;
export const MEMBER_TAG_LIMITS = { count: 20, chars: 40 } as const;

export const MemberTierSchema = z.number().int().min(1).max(MAX_MEMBER_TIER);
/** Domain tags, compared case-insensitively: stored trimmed, lowercase and without repeats. */
export const MemberTagsSchema = z
  .array(
    z
      .string()
      .trim()
      .min(1, { message: 'must not be empty' })
      .max(MEMBER_TAG_LIMITS.chars, { message: `must be at most ${MEMBER_TAG_LIMITS.chars} characters` })
      .transform((t) => t.toLowerCase()),
  )
  .max(MEMBER_TAG_LIMITS.count, { message: `at most ${MEMBER_TAG_LIMITS.count} tags` })
  .transform((tags) => [...new Set(tags)]);

export const AddMemberBodySchema = z.strictObject({ email: EmailSchema, role: ProjectRoleSchema });
export const UpdateMemberBodySchema = z
  .strictObject({ role: ProjectRoleSchema.optional(), tier: MemberTierSchema.optional(), tags: MemberTagsSchema.optional() })
  .refine((b) => b.role !== undefined || b.tier !== undefined || b.tags !== undefined, { message: 'must set at least one of role, tier, tags' });
export type UpdateMemberBody = z.infer<typeof UpdateMemberBodySchema>;

export const MEMBER_SORT_KEYS = ['name', 'email', 'role', 'addedAt'] as const;
export const MemberListQuerySchema = z.object({
  role: ProjectRoleSchema.optional(),
  /** Only members enrolled in calibration (`true`) or not (`false`). */
  calibration: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  /** Only paused members (`true`) or members at work (`false`). */
  paused: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  sort: z.enum(MEMBER_SORT_KEYS).default('role'),
  order: SortOrderSchema.default('asc'),
});

export const ProjectParamsSchema = z.object({ projectId: IdSchema });
export const MemberParamsSchema = z.object({ projectId: IdSchema, userId: IdSchema });
