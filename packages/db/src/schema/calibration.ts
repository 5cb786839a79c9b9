import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id } from './columns.ts';
import { items, projects } from './projects.ts';
import { users } from './users.ts';

/**
 * Live calibration sessions (issue 12). A session's phase lives here, so a restarted node or another
 * node reads the same one; its judgments are stored apart from ordinary work (`judgments`) and are
 * read by others only once their round is revealed.
 *
 * phase: `lobby` (created, not started) → `judging` (a blind round is open) → `revealed` (the round's
 * judgments are shown, notes are open) → `judging` (next round or next item) … → `ended`.
 */
export const calibrationSessions = pgTable(
  'calibration_sessions',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    /** The published rubric version participants judge against (null: the project has none). */
    rubricVersion: integer('rubric_version'),
    /** The items, in the order the lead moves through them. */
    itemIds: jsonb('item_ids').$type<string[]>().notNull(),
    phase: text('phase', { enum: ['lobby', 'judging', 'revealed', 'ended'] }).notNull().default('lobby'),
    /** Index into `itemIds` of the current item. */
    itemIndex: integer('item_index').notNull().default(0),
    /** The current round (null before the first one opens). */
    roundId: uuid('round_id'),
    /** Names shown with judgments at the reveal (false: "Participant 1", …). */
    showNames: boolean('show_names').notNull().default(true),
    /** Bumped on every change of phase, round, participants or submissions (clients order states by it). */
    version: integer('version').notNull().default(0),
    /** What the lead chose at the end: keep the session's judgments as training judgments, or discard them. */
    judgmentsUse: text('judgments_use', { enum: ['training', 'discarded'] }),
    /** The rubric version published at the end on the session's proposal (null: none). */
    publishedVersion: integer('published_version'),
    proposal: text('proposal').notNull().default(''),
    /**
     * Writing and red-teaming sessions: what participants judge on each item, copied when the session
     * is created (itemId → the writing shown for scoring, or the recorded attack to label; an item
     * without one is written for). Kept with the session, so a later revision does not change it.
     */
    subjects: jsonb('subjects').$type<Record<string, Record<string, unknown>>>().notNull().default({}),
    /** The lead's reference judgment per item (itemId → { payload, userId, at }): shown from a round's reveal on. */
    referenceLabels: jsonb('reference_labels').$type<Record<string, { payload: Record<string, unknown>; userId: string; at: string }>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('calibration_sessions_project_idx').on(t.projectId, t.createdAt)],
);

/** Who takes part: chosen by the lead when the session is created (or added later). */
export const calibrationParticipants = pgTable(
  'calibration_participants',
  {
    sessionId: uuid('session_id')
      .notNull()
      .references(() => calibrationSessions.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Their position in the session ("Participant n" when names are hidden). */
    position: integer('position').notNull(),
    joinedAt: timestamp('joined_at', { withTimezone: true, mode: 'date' }),
    /** Open quality flags this session settled at its end: cleared or kept. */
    flagOutcome: text('flag_outcome', { enum: ['cleared', 'kept'] }),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.userId] }), index('calibration_participants_user_idx').on(t.userId)],
);

/** One round: the participants judge one item blind until the lead reveals it. */
export const calibrationRounds = pgTable(
  'calibration_rounds',
  {
    id: id(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => calibrationSessions.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    /** 1 for the blind round of an item, 2… after discussion. */
    number: integer('number').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }).notNull(),
    revealedAt: timestamp('revealed_at', { withTimezone: true, mode: 'date' }),
    /** Participants who had not submitted when the lead revealed. */
    missingAtReveal: jsonb('missing_at_reveal').$type<string[]>(),
  },
  (t) => [uniqueIndex('calibration_rounds_item_number_uq').on(t.sessionId, t.itemId, t.number)],
);

/** A participant's judgment in a round; `blind` is false for one submitted after the reveal. */
export const calibrationJudgments = pgTable(
  'calibration_judgments',
  {
    id: id(),
    roundId: uuid('round_id')
      .notNull()
      .references(() => calibrationRounds.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => calibrationSessions.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    responseOrder: jsonb('response_order').$type<string[]>().notNull(),
    timeSpentMs: integer('time_spent_ms'),
    blind: boolean('blind').notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('calibration_judgments_round_user_uq').on(t.roundId, t.userId), index('calibration_judgments_session_idx').on(t.sessionId)],
);
