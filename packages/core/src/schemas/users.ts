import { z } from 'zod';
import { EmailSchema, IdSchema, NameSchema, PageQuerySchema, PasswordSchema, SortOrderSchema, TimestampSchema } from './common.ts';

export const UserSchema = z.object({
  id: IdSchema,
  email: z.string(),
  name: z.string(),
  isAdmin: z.boolean(),
  active: z.boolean(),
  /** Placeholder members (imported annotators) cannot log in until an admin activates them. */
  placeholder: z.boolean(),
  createdAt: TimestampSchema,
});
export type User = z.infer<typeof UserSchema>;

export const CreateUserBodySchema = z.strictObject({
  email: EmailSchema,
  name: NameSchema,
  password: PasswordSchema,
  isAdmin: z.boolean().default(false),
});
export type CreateUserBody = z.infer<typeof CreateUserBodySchema>;

export const UpdateUserBodySchema = z
  .strictObject({
    name: NameSchema.optional(),
    isAdmin: z.boolean().optional(),
    active: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'must set at least one field' });
export type UpdateUserBody = z.infer<typeof UpdateUserBodySchema>;

export const ResetPasswordBodySchema = z.strictObject({ password: PasswordSchema });

/** Sort keys are an allow-list: they map to columns in the db layer, never into SQL as text. */
export const USER_SORT_KEYS = ['email', 'name', 'createdAt'] as const;
export const UserListQuerySchema = PageQuerySchema.extend({
  q: z.string().trim().max(200).optional(),
  status: z.enum(['active', 'inactive', 'all']).default('all'),
  sort: z.enum(USER_SORT_KEYS).default('email'),
  order: SortOrderSchema.default('asc'),
});
export type UserListQuery = z.infer<typeof UserListQuerySchema>;
