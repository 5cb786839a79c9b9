/**
 * Quality figures' stored contributions, kept by the trigger `quality_judgment_submitted` (migration
 * "quality") in the same transaction as every submitted or imported judgment. Nothing here is read
 * whole per request: the dashboard sums block rows (GROUP BY), and blocks are the bootstrap's units.
 *
 * - Items are spread over 64 blocks (`block` = a hash of the item id): aggregate rows are per block,
 *   so concurrent submits of a project rarely touch the same row, and resampling blocks is a
 *   bootstrap over random groups of items (one item per block in small projects).
 * - A scope is what a coincidence matrix is about: `pref` (the graded preference of pairwise
 *   judgments), `pref@v<N>` (under rubric version N; `pref@v0` without one), `pref@w<YYYY-MM-DD>` (the
 *   ISO week of submission), `rank` (rankings: each response's rank), `dim:<id>` (a rubric dimension's
 *   scores; per response or per comparison), `rate` and `cls` (a rating's level; a classification's
 *   label set as one nominal value, a hash of its sorted labels; each also per version and week),
 *   `lbl:<label>` (a classification item where someone chose the label: each judgment chose it, 1, or
 *   not, 0; items where nobody did agree on 0 and are completed from `cls` by the reader) and, in
 *   quality_units only, `pick:<label>` (m = 0, units = judgments that chose it).
 */
import { sql } from 'drizzle-orm';
import { boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, qualityCountArray, qualityJudgeArray } from './columns.ts';
import { items, projects } from './projects.ts';
import { users } from './users.ts';
import { judgments } from './work.ts';

/** Per item: its lock row for the trigger, and its own figures (for the item list). */
export const qualityItems = pgTable(
  'quality_items',
  {
    itemId: uuid('item_id')
      .primaryKey()
      .references(() => items.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    block: smallint('block').notNull(),
    judgments: integer('judgments').notNull().default(0),
    /** Percent agreement of the item's judgments (3-way view; rankings: agreeing response pairs); null under 2. */
    agreement: doublePrecision('agreement'),
    /** SD of the graded preference (rankings: mean SD of each response's rank); null under 2. */
    spread: doublePrecision('spread'),
    /** Majority of the 3-way view (−1 first, 0 tie, 1 second); null without a strict majority. */
    consensus: smallint('consensus'),
    /** Kendall's W of the item's rankings (null under 2 rankings or for pairwise items). */
    kendallW: doublePrecision('kendall_w'),
    /** The item's position (copied by a trigger on insert): ties in the item list sorted by a figure keep the file's order from an index. */
    position: integer('position'),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  // No index on a figure (migration 0035): a submit changes its item's figures, and with none of them
  // indexed its row is rewritten in place (a heap-only update, fillfactor 90 set in the migration)
  // instead of adding an entry to every index; the item list sorted by a figure sorts the project's
  // rows (about 0.25 s at 200,000 items).
  (t) => [index('quality_items_project_idx').on(t.projectId)],
);

/**
 * Per item, one row: its value counts per scope and unit (a response id for per-response dimensions
 * and rankings, else ''), as an array of `accord_quality_count` (scope, unit, value, n). One row per
 * item rather than one per count (about 40 per pairwise item with a rubric): a submit's refresh
 * rewrites one row in place instead of deleting and inserting 40 into an index of millions.
 */
export const qualityItemCounts = pgTable('quality_item_counts', {
  itemId: uuid('item_id')
    .primaryKey()
    .references(() => items.id, { onDelete: 'cascade' }),
  counts: qualityCountArray('counts').notNull(),
  /**
   * The item's `quality_judgments` rows, copied (migration 0030): a submit's refresh reads its item's
   * stored rows from this one row instead of from as many heap pages as the item has judgments.
   */
  judges: qualityJudgeArray('judges').notNull().default(sql`'{}'`),
});

/** Coincidences o(v1, v2) summed over the units of a block (both orders, as in Krippendorff). */
export const qualityCoincidences = pgTable(
  'quality_coincidences',
  {
    projectId: uuid('project_id').notNull(),
    scope: text('scope').notNull(),
    block: smallint('block').notNull(),
    v1: doublePrecision('v1').notNull(),
    v2: doublePrecision('v2').notNull(),
    o: doublePrecision('o').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.scope, t.block, t.v1, t.v2] })],
);

/**
 * Per block, scope and unit size m: how many units have m values, and the sum of their pairwise
 * agreement Σ_c n_c(n_c−1)/(m(m−1)) (3-way view for preferences) — percent agreement and Fleiss' κ
 * (whose category shares are the coincidences' marginals when every unit has the same m).
 */
export const qualityUnits = pgTable(
  'quality_units',
  {
    projectId: uuid('project_id').notNull(),
    scope: text('scope').notNull(),
    block: smallint('block').notNull(),
    m: integer('m').notNull(),
    /**
     * A block's rows are spread over 8 shards (bits 6–8 of the item's hash; the block is bits 0–5), so
     * two submits in one block rarely move the same row: every submit moves its block's unit sizes.
     * Readers sum the shards.
     */
    shard: smallint('shard').notNull().default(0),
    units: integer('units').notNull(),
    paSum: doublePrecision('pa_sum').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.scope, t.block, t.m, t.shard] })],
);

/** A classification project's label sets by their value in scope `cls` (the hash): MASI α needs the sets. */
export const qualityLabelSets = pgTable(
  'quality_label_sets',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    value: doublePrecision('value').notNull(),
    labels: text('labels').array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.value] })],
);

/** Model pair tallies per block: from every judgment, and from each item's consensus. `model_a` < `model_b`. */
export const qualityModelPairs = pgTable(
  'quality_model_pairs',
  {
    projectId: uuid('project_id').notNull(),
    source: text('source', { enum: ['judgments', 'consensus'] }).notNull(),
    block: smallint('block').notNull(),
    modelA: text('model_a').notNull(),
    modelB: text('model_b').notNull(),
    /** Spread like quality_units' rows (a project's few model pairs are in every submit of a block); readers sum the shards. */
    shard: smallint('shard').notNull().default(0),
    winsA: integer('wins_a').notNull().default(0),
    ties: integer('ties').notNull().default(0),
    winsB: integer('wins_b').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.source, t.block, t.modelA, t.modelB, t.shard] })],
);

/**
 * Per pair of annotators (user_a < user_b): items both judged, by their two 3-way values — Cohen's κ
 * of every pair without a self-join of judgments.
 */
export const qualityPairs = pgTable(
  'quality_pairs',
  {
    projectId: uuid('project_id').notNull(),
    userA: uuid('user_a').notNull(),
    userB: uuid('user_b').notNull(),
    va: smallint('va').notNull(),
    vb: smallint('vb').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userA, t.userB, t.va, t.vb] })],
);

/** Per submitted judgment, what the annotator figures need (its item's copy of these rows adds the others' majority). */
export const qualityJudgments = pgTable(
  'quality_judgments',
  {
    judgmentId: uuid('judgment_id')
      .primaryKey()
      .references(() => judgments.id, { onDelete: 'cascade' }),
    // No foreign keys on these three: the judgment's cascade removes the row with its item, project or
    // user, and each key checked on insert would lock the project's row in every submit.
    projectId: uuid('project_id').notNull(),
    itemId: uuid('item_id').notNull(),
    userId: uuid('user_id').notNull(),
    submittedAt: timestamp('submitted_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** −1 first better, 0 tie, 1 second better (canonical order); null for rankings. */
    threeWay: smallint('three_way'),
    graded: smallint('graded'),
    /** Non-tie: picked the response shown first (imported: the item's first). */
    firstPick: boolean('first_pick'),
    /** Non-tie between responses of different length: picked the longer. */
    longerPick: boolean('longer_pick'),
    words: integer('words').notNull().default(0),
    seconds: doublePrecision('seconds'),
    /** Agrees with the item's gold (3-way view); null when the item has none. */
    goldMatch: boolean('gold_match'),
    // The majority of the item's other judgments (leave-one-out) is kept only in the item's copy of
    // these rows (`quality_item_counts.judges`, migration 0030): it moves with every new judgment of
    // the item, and rewriting the rows it moved on was most of a submit's reads.
  },
  (t) => [
    // No index by item (dropped by migration 0030): the refresh reads an item's rows from its copy.
    index('quality_judgments_user_idx').on(t.projectId, t.userId, t.submittedAt),
    index('quality_judgments_time_idx').on(t.projectId, t.submittedAt),
  ],
);

/**
 * Per annotator: the tallies of their `quality_judgments` rows (kept with them by the trigger), so
 * annotator figures read one row per member instead of scanning the project's judgments.
 */
export const qualityAnnotators = pgTable(
  'quality_annotators',
  {
    projectId: uuid('project_id').notNull(),
    userId: uuid('user_id').notNull(),
    judgments: integer('judgments').notNull().default(0),
    goldN: integer('gold_n').notNull().default(0),
    goldOk: integer('gold_ok').notNull().default(0),
    firstN: integer('first_n').notNull().default(0),
    firstK: integer('first_k').notNull().default(0),
    ties: integer('ties').notNull().default(0),
    threeN: integer('three_n').notNull().default(0),
    /** Non-tie judgments of items with a non-tie consensus, between responses of different length … */
    longerN: integer('longer_n').notNull().default(0),
    /** … where the annotator picked the longer, and where the consensus did. */
    longerK: integer('longer_k').notNull().default(0),
    consensusLongerK: integer('consensus_longer_k').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] })],
);

/** Per annotator: their 3-way values against the others' consensus (κ vs consensus). */
export const qualityConfusion = pgTable(
  'quality_confusion',
  {
    projectId: uuid('project_id').notNull(),
    userId: uuid('user_id').notNull(),
    v: smallint('v').notNull(),
    c: smallint('c').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId, t.v, t.c] })],
);

/** A member whose figure over their last n items fell below the project's threshold. */
export const qualityFlags = pgTable(
  'quality_flags',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['kappaVsConsensus', 'goldAccuracy'] }).notNull(),
    /** '' for the overall preference. */
    dimension: text('dimension').notNull().default(''),
    value: doublePrecision('value').notNull(),
    threshold: doublePrecision('threshold').notNull(),
    window: integer('window').notNull(),
    items: jsonb('items').$type<string[]>().notNull().default([]),
    status: text('status', { enum: ['open', 'cleared'] }).notNull().default('open'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    clearedAt: timestamp('cleared_at', { withTimezone: true, mode: 'date' }),
    clearedBy: uuid('cleared_by').references(() => users.id, { onDelete: 'set null' }),
    clearReason: text('clear_reason'),
  },
  (t) => [
    index('quality_flags_project_idx').on(t.projectId, t.status),
    uniqueIndex('quality_flags_open_uq')
      .on(t.projectId, t.userId, t.kind, t.dimension)
      .where(sql`${t.status} = 'open'`),
  ],
);

/**
 * Members whose window figures (flags, drift, medians over their newest judgments) may have changed:
 * a row per member per refresh of items they judged (before or after), appended by triggers on
 * `quality_judgments` (migration "quality_scale") — never updated, so concurrent submits never wait
 * on each other here. The quality service takes them off (DELETE … RETURNING) and re-evaluates those
 * members only, off the request path.
 */
export const qualityMemberQueue = pgTable(
  'quality_member_queue',
  {
    projectId: uuid('project_id').notNull(),
    userId: uuid('user_id').notNull(),
  },
  (t) => [index('quality_member_queue_project_idx').on(t.projectId)],
);

/**
 * Judgments a submit stored whose quality refresh has not run yet (migration 0038): the submit
 * statement appends a row per judgment instead of refreshing its item in its own transaction, and the
 * quality service refreshes them in batches (`accord_quality_drain`, shortly after the submits, on
 * every node's sweep, and before any read of the project's figures). No foreign keys: a row whose
 * judgment or project is gone refreshes nothing.
 */
export const qualityPending = pgTable(
  'quality_pending',
  {
    itemId: uuid('item_id').notNull(),
    judgmentId: uuid('judgment_id').notNull(),
    projectId: uuid('project_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.itemId, t.judgmentId] }), index('quality_pending_project_idx').on(t.projectId)],
);

/**
 * Per member: the figures over their newest judgments, as of their last evaluation (written by the
 * quality service, read by the dashboard): median seconds and justification words over the newest
 * MEDIAN_WINDOW judgments, and drift points over the project's window.
 */
export const qualityMembers = pgTable(
  'quality_members',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    medianSeconds: doublePrecision('median_seconds'),
    medianWords: doublePrecision('median_words'),
    drift: jsonb('drift').notNull().default([]),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] })],
);

/**
 * A trainer's own consensus and gold figures as they stood when their last whole block of judgments
 * completed (`counted`: the judgments they count), served until the next block completes: recomputed
 * on every read they would move as others judge the trainer's items, and so tell the trainer the
 * others' majority on them.
 */
export const qualityMyStats = pgTable(
  'quality_my_stats',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    counted: integer('counted').notNull(),
    figures: jsonb('figures').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] })],
);

/** Per project: the thresholds and window its members were last evaluated with (all of them, once per change). */
export const qualityEvaluations = pgTable('quality_evaluations', {
  projectId: uuid('project_id')
    .primaryKey()
    .references(() => projects.id, { onDelete: 'cascade' }),
  settingsKey: text('settings_key').notNull(),
  evaluatedAt: timestamp('evaluated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
