import { index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { id } from './columns.ts';
import { projects } from './projects.ts';
import { users } from './users.ts';

/** Published, immutable rubric versions. The live draft is the document `rubric:<projectId>`. */
export const rubricVersions = pgTable(
  'rubric_versions',
  {
    id: id(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    content: jsonb('content').$type<Record<string, unknown>>().notNull(),
    note: text('note').notNull().default(''),
    publishedBy: uuid('published_by').references(() => users.id, { onDelete: 'set null' }),
    publishedAt: timestamp('published_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [unique('rubric_versions_project_version_uq').on(t.projectId, t.version), index('rubric_versions_project_idx').on(t.projectId)],
);
