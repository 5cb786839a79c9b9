/**
 * A project's rubric: the live draft is the document `rubric:<projectId>` (read through the room,
 * never from the log behind its back); publishing validates it with core's `RubricSchema` and
 * freezes it as the next immutable version. Version numbers are assigned under a per-project lock
 * and a unique constraint, so concurrent publishes get N and N+1, never two Ns.
 */
import { and, desc, eq, max, sql } from 'drizzle-orm';
import { readRubricDraft, writeRubricDraft } from '@accord/collab';
import {
  AppError,
  describeIssues,
  diffRubrics,
  docName,
  issuesOf,
  RubricDraftSchema,
  RubricSchema,
  type RubricDiff,
  type RubricDraft,
  type RubricVersion,
  type RubricVersionSummary,
} from '@accord/core';
import { rubricVersions, users, type Db } from '@accord/db';
import type { DocRegistry } from '../realtime/registry.ts';
import { audit } from './audit.ts';

type VersionRow = typeof rubricVersions.$inferSelect;

export const rubricDoc = (projectId: string) => docName('rubric', projectId);

export function createRubricService(db: Db, docs: DocRegistry) {
  const columns = {
    v: rubricVersions,
    publisherName: users.name,
  };
  const summary = (r: { v: VersionRow; publisherName: string | null }): RubricVersionSummary => ({
    version: r.v.version,
    note: r.v.note,
    publishedAt: r.v.publishedAt.toISOString(),
    publishedBy: r.v.publishedBy ? { id: r.v.publishedBy, name: r.publisherName ?? '' } : null,
    dimensions: Array.isArray((r.v.content as { dimensions?: unknown }).dimensions) ? (r.v.content as { dimensions: unknown[] }).dimensions.length : 0,
  });
  const selectVersions = () => db.select(columns).from(rubricVersions).leftJoin(users, eq(users.id, rubricVersions.publishedBy));

  async function version(projectId: string, n: number): Promise<RubricVersion> {
    const [row] = await selectVersions().where(and(eq(rubricVersions.projectId, projectId), eq(rubricVersions.version, n)));
    if (!row) throw new AppError('not_found', `This rubric has no version ${n}.`);
    return { ...summary(row), content: RubricDraftSchema.parse(row.v.content) };
  }

  const draft = (projectId: string): Promise<RubricDraft> => docs.read(rubricDoc(projectId), readRubricDraft);

  async function latest(projectId: string): Promise<RubricVersionSummary | null> {
    const [row] = await selectVersions().where(eq(rubricVersions.projectId, projectId)).orderBy(desc(rubricVersions.version)).limit(1);
    return row ? summary(row) : null;
  }

  return {
    draft,
    latest,
    version,

    async state(projectId: string, role: string) {
      return { doc: rubricDoc(projectId), draft: await draft(projectId), latest: await latest(projectId), canPublish: role === 'lead' };
    },

    async versions(projectId: string): Promise<RubricVersionSummary[]> {
      const rows = await selectVersions().where(eq(rubricVersions.projectId, projectId)).orderBy(desc(rubricVersions.version));
      return rows.map(summary);
    },

    /** Validates the live draft and stores it as the next version. Errors name draft fields (`dimensions.2.levels.0.anchor`). */
    async publish(actorId: string | null, projectId: string, note: string): Promise<RubricVersion> {
      const parsed = RubricSchema.safeParse(await draft(projectId));
      if (!parsed.success) {
        const details = issuesOf(parsed.error);
        throw new AppError('validation_failed', `The draft cannot be published: ${describeIssues(details)}`, details);
      }
      const content = parsed.data;
      const row = await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${'rubric-publish:' + projectId}))`);
        const [top] = await tx.select({ n: max(rubricVersions.version) }).from(rubricVersions).where(eq(rubricVersions.projectId, projectId));
        const next = (top?.n ?? 0) + 1;
        const [inserted] = await tx
          .insert(rubricVersions)
          .values({ projectId, version: next, content: content as unknown as Record<string, unknown>, note, publishedBy: actorId })
          .returning();
        await audit(tx, { actorId, action: 'rubric.published', projectId, details: { version: next, dimensions: content.dimensions.length } });
        return inserted!;
      });
      return version(projectId, row.version);
    },

    async diff(projectId: string, from: number | 'draft', to: number | 'draft'): Promise<RubricDiff> {
      const side = async (s: number | 'draft') => (s === 'draft' ? draft(projectId) : (await version(projectId, s)).content);
      const [a, b] = await Promise.all([side(from), side(to)]);
      return { from, to, changes: diffRubrics(a, b) };
    },

    /** Replaces the draft through the room (seeding, "start from version N"). */
    async writeDraft(projectId: string, content: RubricDraft): Promise<void> {
      await docs.transact(rubricDoc(projectId), (doc) => writeRubricDraft(doc, content));
    },
  };
}

export type RubricService = ReturnType<typeof createRubricService>;
