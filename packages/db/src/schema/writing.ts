/**
 * SFT writing projects (issue 15): the versions of a written demonstration (version 1 is the submitted
 * judgment's text; a revision after a send-back adds the next) with the word diff against the model
 * response it rewrites, and reviewers' reviews of a version (scores per rubric dimension, accept or
 * send back). A writing's status is derived: the latest review of its latest version.
 */
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id } from './columns.ts';
import { projects } from './projects.ts';
import { users } from './users.ts';
import { judgments } from './work.ts';

export const writingVersions = pgTable(
  'writing_versions',
  {
    judgmentId: uuid('judgment_id')
      .notNull()
      .references(() => judgments.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    /** The item's response it rewrites (null: written from scratch). */
    baseResponseId: text('base_response_id'),
    /** `{ parts: [{ op, text }], inserted, deleted }` against the base response (null without a base). */
    diff: jsonb('diff').$type<{ parts: { op: string; text: string }[]; inserted: number; deleted: number }>(),
    words: integer('words').notNull(),
    timeSpentMs: integer('time_spent_ms'),
    submittedAt: timestamp('submitted_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.judgmentId, t.version] }), index('writing_versions_project_idx').on(t.projectId, t.submittedAt)],
);

export const writingReviews = pgTable(
  'writing_reviews',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    judgmentId: uuid('judgment_id')
      .notNull()
      .references(() => judgments.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    reviewerId: uuid('reviewer_id').references(() => users.id, { onDelete: 'set null' }),
    /** `[{ dimension, value }]`, one per dimension of the rubric version below. */
    scores: jsonb('scores').$type<{ dimension: string; value: number }[]>().notNull(),
    decision: text('decision', { enum: ['accept', 'send_back'] }).notNull(),
    feedback: text('feedback').notNull().default(''),
    rubricVersion: integer('rubric_version'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('writing_reviews_judgment_idx').on(t.judgmentId, t.version, t.createdAt),
    index('writing_reviews_project_idx').on(t.projectId, t.createdAt),
    // One review per reviewer and version (a second is refused, not stored).
    uniqueIndex('writing_reviews_once_idx').on(t.judgmentId, t.version, t.reviewerId),
  ],
);
