import { z } from 'zod';
import { IdSchema, NameSchema, PasswordSchema, TimestampSchema } from './common.ts';
import { UserSchema } from './users.ts';
import { ProjectRoleSchema } from './projects.ts';

export const LoginBodySchema = z.strictObject({
  email: z.string().trim().toLowerCase().min(1, { message: 'is required' }).max(254),
  // Login accepts whatever was set; length rules apply when a password is chosen.
  password: z.string().min(1, { message: 'is required' }).max(1024),
});
export type LoginBody = z.infer<typeof LoginBodySchema>;

export const MembershipSummarySchema = z.object({ projectId: IdSchema, role: ProjectRoleSchema });

export const MeSchema = z.object({
  user: UserSchema,
  memberships: z.array(MembershipSummarySchema),
  /** How this request authenticated: a browser session or a personal API token. */
  via: z.enum(['session', 'token']),
});
export type Me = z.infer<typeof MeSchema>;

export const ChangePasswordBodySchema = z.strictObject({
  currentPassword: z.string().min(1, { message: 'is required' }).max(1024),
  newPassword: PasswordSchema,
});

export const ApiTokenSchema = z.object({
  id: IdSchema,
  name: z.string(),
  /** The first characters of the token, to recognise it; the token itself is shown once. */
  prefix: z.string(),
  createdAt: TimestampSchema,
  lastUsedAt: TimestampSchema.nullable(),
  expiresAt: TimestampSchema.nullable(),
  revokedAt: TimestampSchema.nullable(),
});
export type ApiToken = z.infer<typeof ApiTokenSchema>;

export const CreateTokenBodySchema = z.strictObject({
  name: NameSchema,
  expiresInDays: z.number().int().min(1).max(3650).nullable().default(90),
});

export const CreatedTokenSchema = z.object({ token: z.string(), apiToken: ApiTokenSchema });
