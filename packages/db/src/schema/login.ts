import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Failed sign-in counters, shared by every node on the database. One fixed window per key:
 * `acct:<sha256 email>` (attempts without a trusted device cookie for that account),
 * `dev:<user id>:<device nonce>` (attempts from one trusted browser) and `addr:<client address>`.
 * Upserted atomically; rows whose window ended are pruned.
 */
export const loginAttempts = pgTable(
  'login_attempts',
  {
    key: text('key').primaryKey(),
    windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
    count: integer('count').notNull(),
  },
  (t) => [index('login_attempts_window_idx').on(t.windowStart)],
);

/**
 * Server-side secrets every node needs alike (e.g. the key that signs device cookies), created
 * once by whichever node needs one first. Never sent to a client.
 */
export const serverKeys = pgTable('server_keys', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
