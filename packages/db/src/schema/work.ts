import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { id } from './columns.ts';
import { items, projects } from './projects.ts';
import { users } from './users.ts';

/** One trainer's reservation of one item; a trainer is never assigned the same item twice. */
export const assignments = pgTable(
  'assignments',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['reserved', 'submitted', 'expired', 'released'] }).notNull().default('reserved'),
    isGold: boolean('is_gold').notNull().default(false),
    /** Response ids in the order this trainer sees them (randomised per trainer and item). */
    responseOrder: jsonb('response_order').$type<string[]>().notNull(),
    reservedAt: timestamp('reserved_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    unique('assignments_item_user_uq').on(t.itemId, t.userId),
    index('assignments_project_user_idx').on(t.projectId, t.userId),
    index('assignments_item_status_idx').on(t.itemId, t.status),
    index('assignments_expiry_idx').on(t.projectId, t.expiresAt).where(sql`${t.status} = 'reserved'`),
    // A member's open reservations (`accord_queue_next` reads them on every call): the rows still
    // reserved, not the member's whole history in the project (migration 0039).
    index('assignments_member_reserved_idx').on(t.projectId, t.userId, t.reservedAt).where(sql`${t.status} = 'reserved'`),
  ],
);

export const judgments = pgTable(
  'judgments',
  {
    /**
     * Time-ordered (UUID version 7, `accord_uuid7()`, migration 0033): a new judgment's key lands at
     * the right edge of its indexes (this table's and quality_judgments'), not on a random leaf page
     * that has to be read and, the first time after a checkpoint, written whole to the WAL.
     */
    id: uuid('id').primaryKey().default(sql`accord_uuid7()`),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    assignmentId: uuid('assignment_id').references(() => assignments.id, { onDelete: 'set null' }),
    status: text('status', { enum: ['draft', 'submitted'] }).notNull().default('draft'),
    /** accord | import | calibration (kept from a calibration session); plain text in SQL, so no migration. */
    source: text('source', { enum: ['accord', 'import', 'calibration'] }).notNull().default('accord'),
    /** The published rubric version the judgment was made under (null for imports without one). */
    rubricVersion: integer('rubric_version'),
    /** The judgment itself: preference or ranking, scores, spans, flags, justification. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    responseOrder: jsonb('response_order').$type<string[]>(),
    timeSpentMs: bigint('time_spent_ms', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    submittedAt: timestamp('submitted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    unique('judgments_item_user_uq').on(t.itemId, t.userId),
    index('judgments_project_idx').on(t.projectId, t.status),
    // An item's submitted judgments (the quality refresh of every submit, consensus): without it a
    // generic plan ANDed the item lookup with every submitted judgment of the table (project_idx on
    // status alone), hundreds of ms per submit at 1,000,000 judgments.
    index('judgments_submitted_item_idx').on(t.itemId).where(sql`${t.status} = 'submitted'`),
  ],
);

/**
 * The queue's counters per project, kept by triggers (migration 0004) in the same transaction as
 * the change: ordinary items still open (under k) and gold items.
 */
export const queueProjects = pgTable('queue_projects', {
  projectId: uuid('project_id')
    .primaryKey()
    .references(() => projects.id, { onDelete: 'cascade' }),
  openItems: integer('open_items').notNull().default(0),
  goldItems: integer('gold_items').notNull().default(0),
  /** Counts the rises of `openItems` (an item opened again: release, expiry, k or gold changed; or items added): members' frontiers older than it are not used. */
  reopenSeq: bigint('reopen_seq', { mode: 'number' }).notNull().default(0),
});

/**
 * Per project member, kept by triggers: submitted judgments, live reservations, and the items this
 * member has seen (reserved, judged, skipped or imported) that are open ordinary items or gold.
 * What is left for the member = (open − seenOpen), plus (gold − seenGold) while the first is above
 * zero and the project hands out gold: read, never counted.
 * `frontier`: every open ordinary item before this position is one the member has had, as long as no
 * item of the project has opened again since (`frontierSeq` equal to the project's `reopenSeq`); the
 * next search starts there, so its cost does not grow with the items the member has already judged.
 */
export const queueMembers = pgTable(
  'queue_members',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    done: integer('done').notNull().default(0),
    reserved: integer('reserved').notNull().default(0),
    seenOpen: integer('seen_open').notNull().default(0),
    seenGold: integer('seen_gold').notNull().default(0),
    frontier: integer('frontier'),
    frontierSeq: bigint('frontier_seq', { mode: 'number' }),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] })],
);

export const importJobs = pgTable(
  'import_jobs',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['items', 'judgments'] }).notNull(),
    format: text('format', { enum: ['jsonl', 'csv', 'label-studio'] }).notNull(),
    fileName: text('file_name').notNull().default(''),
    status: text('status', { enum: ['running', 'done', 'failed'] }).notNull().default('running'),
    bytesRead: bigint('bytes_read', { mode: 'number' }).notNull().default(0),
    bytesTotal: bigint('bytes_total', { mode: 'number' }).notNull().default(0),
    linesRead: integer('lines_read').notNull().default(0),
    created: integer('created').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    unchanged: integer('unchanged').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    /** The first rejected lines: [{ line, reason }]. */
    errors: jsonb('errors').$type<{ line: number; reason: string }[]>().notNull().default([]),
    message: text('message'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    /** Renewed by the process running the job; a running job whose heartbeat stopped was interrupted. */
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('import_jobs_project_idx').on(t.projectId)],
);
