import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id } from './columns.ts';
import { items, projects } from './projects.ts';
import { judgments } from './work.ts';
import { users } from './users.ts';

/**
 * A project's qualification: gold items members answer before real work, and what passing grants.
 * Whether it is required lives on the project row (`projects.qualification_required`), which every
 * project request reads anyway, so the queue's gate costs no query.
 */
export const qualifications = pgTable('qualifications', {
  projectId: uuid('project_id')
    .primaryKey()
    .references(() => projects.id, { onDelete: 'cascade' }),
  /** Gold item ids of the project, in the order they are asked. */
  itemIds: jsonb('item_ids').$type<string[]>().notNull(),
  passThreshold: real('pass_threshold').notNull(),
  retryDelayMinutes: integer('retry_delay_minutes').notNull(),
  grantTier: integer('grant_tier'),
  grantTags: jsonb('grant_tags').$type<string[]>().notNull().default([]),
  /** `{ checklist, minShare }` when a reviewer grades the written justifications; null otherwise. */
  review: jsonb('review').$type<{ checklist: string[]; minShare: number } | null>(),
  updatedBy: uuid('updated_by').references(() => users.id, { onDelete: 'set null' }),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** One member's attempt: its items are fixed when it starts; scored when the last one is answered. */
export const qualificationAttempts = pgTable(
  'qualification_attempts',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['in_progress', 'awaiting_review', 'passed', 'failed'] }).notNull().default('in_progress'),
    itemIds: jsonb('item_ids').$type<string[]>().notNull(),
    passThreshold: real('pass_threshold').notNull(),
    /** The review checklist as it was when the attempt started (null: no review). */
    review: jsonb('review').$type<{ checklist: string[]; minShare: number } | null>(),
    score: real('score'),
    reviewShare: real('review_share'),
    reviewComment: text('review_comment'),
    gradedBy: uuid('graded_by').references(() => users.id, { onDelete: 'set null' }),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    retryAt: timestamp('retry_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('qualification_attempts_member_idx').on(t.projectId, t.userId, t.startedAt),
    // At most one open attempt (answering or awaiting review) per member.
    uniqueIndex('qualification_attempts_open_uq').on(t.projectId, t.userId).where(sql`${t.status} in ('in_progress', 'awaiting_review')`),
  ],
);

/** One answer of an attempt, kept apart from real judgments (it is no work on the item). */
export const qualificationAnswers = pgTable(
  'qualification_answers',
  {
    attemptId: uuid('attempt_id')
      .notNull()
      .references(() => qualificationAttempts.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    responseOrder: jsonb('response_order').$type<string[]>().notNull(),
    agreement: real('agreement').notNull(),
    /** Checklist points the reviewer found met (indexes), once graded. */
    met: jsonb('met').$type<number[] | null>(),
    timeSpentMs: integer('time_spent_ms'),
    answeredAt: timestamp('answered_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.attemptId, t.itemId] })],
);

/** A reviewer's or lead's feedback on one judgment; its trainer reads it. */
export const feedback = pgTable(
  'feedback',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    judgmentId: uuid('judgment_id')
      .notNull()
      .references(() => judgments.id, { onDelete: 'cascade' }),
    /** The judgment's author (denormalised so a trainer's feedback list is one index scan). */
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
    text: text('text').notNull(),
    rating: integer('rating'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('feedback_member_idx').on(t.projectId, t.userId, t.createdAt), index('feedback_judgment_idx').on(t.judgmentId)],
);
