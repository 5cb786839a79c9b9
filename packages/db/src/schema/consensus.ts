import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id } from './columns.ts';
import { items, projects } from './projects.ts';
import { users } from './users.ts';

/** How a consensus label came to be: a rule met automatically, or a dispute adjudicated. */
export const CONSENSUS_METHODS = ['unanimous', 'majority', 'dawid-skene', 'bradley-terry', 'adjudicated'] as const;
/** Why a dispute opened. */
export const DISPUTE_REASONS = ['disagreement', 'gold-missed', 'serious-flag', 'manual', 'reopened'] as const;
/** The adjudicators' tag on a committed dispute. */
export const DISPUTE_TAGS = ['trainer-error', 'ambiguous-item', 'guideline-gap', 'gold-wrong'] as const;

/**
 * Consensus labels: at most one current label per item (`superseded_at` null); reopening a label
 * supersedes it and keeps it as history. A label is written with its provenance in the same
 * transaction that closes its dispute (or, for an automatic label, that stores the k-th judgment).
 */
export const consensusLabels = pgTable(
  'consensus_labels',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    /** `{ preference, scores, spans }` in the item's canonical response order, as a judgment stores them. */
    label: jsonb('label').$type<Record<string, unknown>>().notNull(),
    method: text('method', { enum: CONSENSUS_METHODS }).notNull(),
    /** The rule's agreement figure for this item (share agreeing with the label, or the posterior for Dawid–Skene); null when not defined. */
    agreement: real('agreement'),
    /** The rubric version the label was validated against (null: the judgments had none, e.g. imported). */
    rubricVersion: integer('rubric_version'),
    /** The judgments the label was computed from or adjudicated over. */
    judgmentIds: jsonb('judgment_ids').$type<string[]>().notNull().default([]),
    judgments: integer('judgments').notNull().default(0),
    disputeId: uuid('dispute_id'),
    /** Adjudicated labels: the rationale written in the room and its reason tag. */
    rationale: text('rationale').notNull().default(''),
    tag: text('tag', { enum: DISPUTE_TAGS }),
    committedBy: uuid('committed_by').references(() => users.id, { onDelete: 'set null' }),
    committedAt: timestamp('committed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    supersededAt: timestamp('superseded_at', { withTimezone: true, mode: 'date' }),
    supersededBy: uuid('superseded_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    uniqueIndex('consensus_labels_current_uq').on(t.itemId).where(sql`${t.supersededAt} is null`),
    // One label per dispute, whatever races: the second commit finds the first one's label.
    uniqueIndex('consensus_labels_dispute_uq').on(t.disputeId),
    index('consensus_labels_project_idx').on(t.projectId, t.committedAt),
  ],
);

/** Disputes: at most one open dispute per item; the queue sorts by reason, age and agreement. */
export const disputes = pgTable(
  'disputes',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    reason: text('reason', { enum: DISPUTE_REASONS }).notNull(),
    /** The reason in words (e.g. "2 of 3 agree; the rule needs more than 0.5"). */
    detail: text('detail').notNull().default(''),
    status: text('status', { enum: ['open', 'committed', 'cancelled'] }).notNull().default('open'),
    /** The item's agreement when the dispute opened (null when not defined). */
    agreement: real('agreement'),
    openedBy: uuid('opened_by').references(() => users.id, { onDelete: 'set null' }),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    labelId: uuid('label_id'),
    idempotencyKey: text('idempotency_key'),
    committedBy: uuid('committed_by').references(() => users.id, { onDelete: 'set null' }),
    committedAt: timestamp('committed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('disputes_open_item_uq').on(t.itemId).where(sql`${t.status} = 'open'`),
    index('disputes_project_idx').on(t.projectId, t.status, t.openedAt),
  ],
);

/** Sign-offs on a dispute's proposed consensus, recorded by the server (the room shows them). */
export const disputeSignoffs = pgTable(
  'dispute_signoffs',
  {
    disputeId: uuid('dispute_id')
      .notNull()
      .references(() => disputes.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** A digest of the proposal signed: a sign-off counts only while the proposal is unchanged. */
    proposal: text('proposal').notNull().default(''),
    signedAt: timestamp('signed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.disputeId, t.userId] })],
);

/**
 * Items whose consensus must be (re)computed: a row is added by a trigger when a judgment of the item
 * is submitted (or an imported one changes), in that judgment's transaction, and removed by the
 * process that computed it. Work left by a process that died is found by the sweep.
 */
export const consensusPending = pgTable(
  'consensus_pending',
  {
    itemId: uuid('item_id')
      .primaryKey()
      .references(() => items.id, { onDelete: 'cascade' }),
    // No key to the project: the row follows its item, and the key was checked at every submit
    // (migration 0041).
    projectId: uuid('project_id').notNull(),
    queuedAt: timestamp('queued_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /**
     * The computation that took the item (null: waiting). Claimed in a statement of its own, so that
     * no lock is held while the consensus is computed; a judgment stored meanwhile clears it (the item
     * is computed again), and a claim past `claimedUntil` (its process died) is taken again.
     */
    claim: uuid('claim'),
    claimedUntil: timestamp('claimed_until', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('consensus_pending_project_idx').on(t.projectId, t.queuedAt)],
);
