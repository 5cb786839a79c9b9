import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The control bus's log: every change of who may do what (a member removed, admin rights taken, a
 * project archived, a document frozen), written in the transaction of the change. Every node applies
 * each row once, in `seq` order, to its open sockets; a NOTIFY carrying the seq wakes them, and a poll
 * of `seq > last applied` repairs what a lost listening connection missed. Rows older than a day are
 * pruned.
 */
export const controlEvents = pgTable(
  'control_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('control_events_created_idx').on(t.createdAt)],
);
