import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { users } from './users.ts';

export const projects = pgTable('projects', {
  id: id(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  taskKind: text('task_kind', { enum: ['pairwise', 'ranking', 'rating', 'classification', 'spans', 'writing', 'redteam'] }).notNull().default('pairwise'),
  archivedAt: timestamp('archived_at', { withTimezone: true, mode: 'date' }),
  /** Assignment and quality settings (overlap, reservation timeout, gold rate, eligibility), validated in core. */
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
  /** Members must pass the project's qualification (table `qualifications`) before real work. */
  qualificationRequired: boolean('qualification_required').notNull().default(false),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  ...timestamps,
});

export const projectMembers = pgTable(
  'project_members',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['lead', 'reviewer', 'trainer'] }).notNull(),
    /** Trainer tier (1 = newest) and domain tags, for assignment eligibility. */
    tier: integer('tier').notNull().default(1),
    tags: jsonb('tags').$type<string[]>().notNull().default([]),
    /** 'model' for an imported model judge (e.g. GPT-3.5 verdicts): counted apart from human members. */
    kind: text('kind', { enum: ['human', 'model'] }).notNull().default('human'),
    /** A lead paused the member's work here (no new work; read with the membership on every request). */
    pausedAt: timestamp('paused_at', { withTimezone: true, mode: 'date' }),
    pauseReason: text('pause_reason').notNull().default(''),
    pausedBy: uuid('paused_by').references(() => users.id, { onDelete: 'set null' }),
    /** Enrolled in calibration by a lead: the next calibration session takes everyone enrolled. */
    calibrationAt: timestamp('calibration_at', { withTimezone: true, mode: 'date' }),
    calibrationNote: text('calibration_note').notNull().default(''),
    calibrationBy: uuid('calibration_by').references(() => users.id, { onDelete: 'set null' }),
    /** When the member passed the project's qualification (null: not passed). */
    qualifiedAt: timestamp('qualified_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index('project_members_user_idx').on(t.userId)],
);

export interface StoredResponse {
  id: string;
  model: string;
  kind: 'markdown' | 'code' | 'image';
  content: string;
}
export interface StoredTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export const items = pgTable(
  'items',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    externalId: text('external_id').notNull(),
    prompt: text('prompt').notNull(),
    context: jsonb('context').$type<StoredTurn[]>().notNull().default([]),
    responses: jsonb('responses').$type<StoredResponse[]>().notNull(),
    reference: text('reference'),
    gold: jsonb('gold').$type<unknown>(),
    isGold: boolean('is_gold').notNull().default(false),
    /** Import order, so lists and queues follow the file rather than insertion timestamps. */
    position: integer('position').notNull().default(0),
    /**
     * Slots of the item's k in use (submitted + imported judgments + live reservations) and whether
     * an ordinary item still takes trainers (occupied < k; gold items are never open and keep no occupancy). Kept by triggers
     * (migration 0004) in the same transaction as every change, so the queue never counts.
     */
    occupied: integer('occupied').notNull().default(0),
    open: boolean('open').notNull().default(true),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
  },
  (t) => [
    unique('items_project_external_uq').on(t.projectId, t.externalId), index('items_queue_idx').on(t.projectId, t.isGold, t.position),
    index('items_open_idx').on(t.projectId, t.position).where(sql`${t.open}`),
  ],
);
