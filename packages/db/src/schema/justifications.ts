import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { judgments } from './work.ts';

/**
 * The justification checks of one submitted judgment: the findings it was submitted with (none
 * blocked it), their kinds for the lead's figures, its MinHash signature for later near-copy checks
 * (null when the text is too short to compare), and the client's typed/pasted counts.
 */
export const justificationChecks = pgTable(
  'justification_checks',
  {
    judgmentId: uuid('judgment_id')
      .primaryKey()
      .references(() => judgments.id, { onDelete: 'cascade' }),
    // No keys to the project and the user: the row follows its judgment (deleted with it, and the
    // judgment with its project or user), and each key was a check per submit (migration 0041).
    projectId: uuid('project_id').notNull(),
    userId: uuid('user_id').notNull(),
    kinds: text('kinds').array().notNull().default([]),
    findings: jsonb('findings').$type<{ kind: string; message: string; blocks: boolean; dimensions?: string[] }[]>().notNull().default([]),
    /** MinHash values as signed 32-bit integers. */
    signature: integer('signature').array(),
    typedChars: integer('typed_chars'),
    pastedChars: integer('pasted_chars'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('justification_checks_project_user_idx').on(t.projectId, t.userId)],
);

/**
 * LSH bands of the signatures: one row per (band key, judgment), so the judgments sharing a band
 * with a new text are one index lookup away, whatever the project's size.
 */
export const justificationBands = pgTable(
  'justification_bands',
  {
    // No foreign key to the project: a submit writes 16 band rows, and each key check was a query
    // locking the project's row. A trigger deletes a deleted project's bands instead (migration 0041).
    projectId: uuid('project_id').notNull(),
    bandKey: integer('band_key').notNull(),
    // No foreign key to the check (it would need a second index on every band row): a lookup joins
    // the checks, so a band left by a deleted judgment matches nothing; the project's deletion clears them.
    judgmentId: uuid('judgment_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.bandKey, t.judgmentId] })],
);
