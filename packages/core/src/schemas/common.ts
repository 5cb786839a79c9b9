import { z } from 'zod';

/**
 * A UUID, in the lower case the server stores and names things by (rooms, control events, document
 * names, in-memory comparisons): an id accepted in any case is read as its lower-case spelling, so
 * `/members/ABC…` is the same member as `/members/abc…` everywhere, not only in SQL.
 */
export const IdSchema = z.string().uuid({ message: 'must be a UUID' }).toLowerCase();

export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, { message: 'must be at most 254 characters' })
  .email({ message: 'must be a valid email address' });

/**
 * Passwords are never truncated: scrypt takes any length. The upper bound only protects the KDF
 * from abuse (a 1 MB password would still hash, slowly).
 */
export const PasswordSchema = z
  .string()
  .min(10, { message: 'must be at least 10 characters' })
  .max(1024, { message: 'must be at most 1024 characters' });

export const NameSchema = z
  .string()
  .trim()
  .min(1, { message: 'must not be empty' })
  .max(200, { message: 'must be at most 200 characters' });

export const TimestampSchema = z.string().datetime({ offset: true });

export const SortOrderSchema = z.enum(['asc', 'desc']);

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
}

export const OkSchema = z.object({ ok: z.literal(true) });
