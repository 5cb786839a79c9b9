import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { projects } from './projects.ts';
import { users } from './users.ts';
import { judgments } from './work.ts';

/**
 * Models under test for red teaming: OpenAI-compatible chat endpoints that an admin registers. The
 * server calls only these (`POST {baseUrl}/chat/completions`); the API key never leaves the server.
 */
export const modelEndpoints = pgTable('model_endpoints', {
  id: id(),
  name: text('name').notNull().unique(),
  baseUrl: text('base_url').notNull(),
  model: text('model').notNull(),
  /** Sent as `Authorization: Bearer …`; never returned by any route (only whether one is set). */
  apiKey: text('api_key').notNull().default(''),
  timeoutMs: integer('timeout_ms').notNull().default(30_000),
  maxTokens: integer('max_tokens').notNull().default(1024),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  ...timestamps,
});

/**
 * Every call a trainer made to a project's endpoint through the server (answered or not): the
 * conversation sent and the response received, so a submitted attack with source 'endpoint' is
 * checked against what the model really said, and the export names the model.
 */
export const redteamCalls = pgTable(
  'redteam_calls',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    assignmentId: uuid('assignment_id').notNull(),
    endpointId: uuid('endpoint_id').references(() => modelEndpoints.id, { onDelete: 'set null' }),
    /** The endpoint's name and model at the time of the call (kept if it is renamed or removed). */
    endpointName: text('endpoint_name').notNull(),
    model: text('model').notNull(),
    turns: jsonb('turns').$type<{ role: string; content: string }[]>().notNull(),
    /** Null when the call failed. */
    response: text('response'),
    /** 'ok' or why it failed: 'http_<status>', 'timeout', 'too_large', 'unreachable', 'bad_response'. */
    outcome: text('outcome').notNull(),
    ms: integer('ms').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('redteam_calls_user_idx').on(t.projectId, t.userId, t.createdAt)],
);

/** A reviewer's verdict on a submitted attack: confirmed (it did what the trainer says) or disputed. */
export const redteamReviews = pgTable(
  'redteam_reviews',
  {
    judgmentId: uuid('judgment_id')
      .notNull()
      .references(() => judgments.id, { onDelete: 'cascade' }),
    reviewerId: uuid('reviewer_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    confirmed: boolean('confirmed').notNull(),
    note: text('note').notNull().default(''),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.judgmentId, t.reviewerId] }), index('redteam_reviews_project_idx').on(t.projectId)],
);
