/** Published rubric versions in SQL: the only code of the rubrics feature that speaks to the database. */
import { and, desc, eq, max, sql } from 'drizzle-orm';
import type { RubricVersionSummary } from '@accord/core';
import { rubricVersions, users, type Db } from '@accord/db';
import { audit } from '../../platform/audit.ts';

type VersionRow = typeof rubricVersions.$inferSelect;

const summary = (r: { v: VersionRow; publisherName: string | null }): RubricVersionSummary => ({
  version: r.v.version,
  note: r.v.note,
  publishedAt: r.v.publishedAt.toISOString(),
  publishedBy: r.v.publishedBy ? { id: r.v.publishedBy, name: r.publisherName ?? '' } : null,
  dimensions: Array.isArray((r.v.content as { dimensions?: unknown }).dimensions) ? (r.v.content as { dimensions: unknown[] }).dimensions.length : 0,
});

export function createRubricsRepo(db: Db) {
  const selectVersions = () => db.select({ v: rubricVersions, publisherName: users.name }).from(rubricVersions).leftJoin(users, eq(users.id, rubricVersions.publishedBy));

  return {
    /** One version's summary and its stored content; null when the project has no such version. */
    async version(projectId: string, n: number): Promise<{ summary: RubricVersionSummary; content: unknown } | null> {
      const [row] = await selectVersions().where(and(eq(rubricVersions.projectId, projectId), eq(rubricVersions.version, n)));
      return row ? { summary: summary(row), content: row.v.content } : null;
    },

    async latest(projectId: string): Promise<RubricVersionSummary | null> {
      const [row] = await selectVersions().where(eq(rubricVersions.projectId, projectId)).orderBy(desc(rubricVersions.version)).limit(1);
      return row ? summary(row) : null;
    },

    /** The newest version's number and stored content, as judging reads it. */
    async latestContent(projectId: string): Promise<{ version: number; content: Record<string, unknown> } | null> {
      const [row] = await db.select().from(rubricVersions).where(eq(rubricVersions.projectId, projectId)).orderBy(desc(rubricVersions.version)).limit(1);
      return row ? { version: row.version, content: row.content } : null;
    },

    async versions(projectId: string): Promise<RubricVersionSummary[]> {
      const rows = await selectVersions().where(eq(rubricVersions.projectId, projectId)).orderBy(desc(rubricVersions.version));
      return rows.map(summary);
    },

    /**
     * Stores `content` as the project's next version, audited, in one transaction. The number is
     * assigned under a per-project advisory lock (and a unique constraint), so concurrent publishes
     * get N and N+1, never two Ns.
     */
    async insertNext(actorId: string | null, projectId: string, content: Record<string, unknown>, note: string, dimensions: number): Promise<number> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'rubric-publish:' + projectId}))`);
        const [top] = await tx.select({ n: max(rubricVersions.version) }).from(rubricVersions).where(eq(rubricVersions.projectId, projectId));
        const next = (top?.n ?? 0) + 1;
        const [inserted] = await tx.insert(rubricVersions).values({ projectId, version: next, content, note, publishedBy: actorId }).returning();
        await audit(tx, { actorId, action: 'rubric.published', projectId, details: { version: next, dimensions } });
        return inserted!.version;
      });
    },
  };
}

export type RubricsRepo = ReturnType<typeof createRubricsRepo>;
