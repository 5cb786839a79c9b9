import { bigint, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from './columns.ts';

/**
 * Live documents (`rubric:<id>`, `dispute:<id>`, `calibration:<id>`): an append-only log of Yjs
 * updates with consecutive per-document sequence numbers, folded now and then into a snapshot.
 */
export const docUpdates = pgTable(
  'doc_updates',
  {
    doc: text('doc').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    data: bytea('data').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.doc, t.seq] })],
);

export const docSnapshots = pgTable('doc_snapshots', {
  doc: text('doc').primaryKey(),
  /** The snapshot covers every update with seq ≤ this. */
  seq: bigint('seq', { mode: 'number' }).notNull(),
  data: bytea('data').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
