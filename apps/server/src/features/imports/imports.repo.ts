/** Import jobs, imported items and imported judgments in SQL: the only code of the imports feature that speaks to the database. */
import { and, desc, eq, gt, inArray, max, sql } from 'drizzle-orm';
import type { ImportJob, JudgmentPayload } from '@accord/core';
import { assignments, importJobs, items, judgments, type Db } from '@accord/db';
import { audit, type AuditEntry } from '../../platform/audit.ts';
import { retryingDeadlocks } from '../../platform/sql.ts';

export type JobRow = typeof importJobs.$inferSelect;
type ItemValues = typeof items.$inferInsert;
type JudgmentValues = typeof judgments.$inferInsert;

export function toImportJob(j: JobRow): ImportJob {
  return {
    id: j.id,
    kind: j.kind,
    format: j.format,
    fileName: j.fileName,
    status: j.status,
    bytesRead: j.bytesRead,
    bytesTotal: j.bytesTotal,
    linesRead: j.linesRead,
    created: j.created,
    updated: j.updated,
    unchanged: j.unchanged,
    rejected: j.rejected,
    errors: j.errors,
    message: j.message,
    createdAt: j.createdAt.toISOString(),
    finishedAt: j.finishedAt ? j.finishedAt.toISOString() : null,
  };
}

export function createImportsRepo(db: Db) {
  return {
    audit: (entry: AuditEntry) => audit(db, entry),

    /** Marks running jobs whose heartbeat is older than `staleMs` failed; the database's clock decides, so nodes' clocks need not agree. */
    async failStale(staleMs: number, message: string): Promise<string[]> {
      const rows = await db
        .update(importJobs)
        .set({ status: 'failed', message, finishedAt: new Date() })
        .where(and(eq(importJobs.status, 'running'), sql`${importJobs.heartbeatAt} < now() - make_interval(secs => ${staleMs / 1000})`))
        .returning({ id: importJobs.id });
      return rows.map((r) => r.id);
    },

    async beat(jobIds: string[]) {
      await db.update(importJobs).set({ heartbeatAt: sql`now()` }).where(and(eq(importJobs.status, 'running'), inArray(importJobs.id, jobIds)));
    },

    async insertJob(values: typeof importJobs.$inferInsert): Promise<JobRow> {
      const [job] = await db.insert(importJobs).values(values).returning();
      return job!;
    },

    async job(projectId: string, jobId: string): Promise<JobRow | null> {
      const [j] = await db.select().from(importJobs).where(and(eq(importJobs.id, jobId), eq(importJobs.projectId, projectId)));
      return j ?? null;
    },

    async jobs(projectId: string, limit: number): Promise<JobRow[]> {
      return db.select().from(importJobs).where(eq(importJobs.projectId, projectId)).orderBy(desc(importJobs.createdAt)).limit(limit);
    },

    async updateJob(jobId: string, set: Partial<typeof importJobs.$inferInsert>) {
      await db.update(importJobs).set(set).where(eq(importJobs.id, jobId));
    },

    async maxPosition(projectId: string): Promise<number | null> {
      const [pos] = await db.select({ m: max(items.position) }).from(items).where(eq(items.projectId, projectId));
      return pos?.m ?? null;
    },

    /** Items of the project with these external ids, and whether each already has judgments. */
    async itemsForReimport(projectId: string, externalIds: string[]) {
      return db
        .select({
          id: items.id,
          externalId: items.externalId,
          prompt: items.prompt,
          context: items.context,
          responses: items.responses,
          reference: items.reference,
          gold: items.gold,
          metadata: items.metadata,
        })
        .from(items)
        .where(and(eq(items.projectId, projectId), inArray(items.externalId, externalIds)));
    },

    /**
     * Which of these items have judgments (drafts included) or are held by a live reservation: what a
     * trainer judged or is judging now. A query of its own: inside a select of one table drizzle leaves
     * columns unqualified, so a correlated `exists` in the select list compared judgments.item_id with
     * judgments.id and never matched.
     */
    async judgedItemIds(itemIds: string[]): Promise<Map<string, 'judged' | 'held'>> {
      const out = new Map<string, 'judged' | 'held'>();
      if (!itemIds.length) return out;
      const held = await db
        .selectDistinct({ id: assignments.itemId })
        .from(assignments)
        .where(and(inArray(assignments.itemId, itemIds), eq(assignments.status, 'reserved'), gt(assignments.expiresAt, sql`now()`)));
      for (const r of held) out.set(r.id, 'held');
      const judged = await db.selectDistinct({ id: judgments.itemId }).from(judgments).where(inArray(judgments.itemId, itemIds));
      for (const r of judged) out.set(r.id, 'judged');
      return out;
    },

    async updateItem(id: string, set: Partial<ItemValues>) {
      await db.update(items).set(set).where(eq(items.id, id));
    },

    /**
     * Changes what a trainer would judge (prompt, responses, …) only while nobody judged or holds the
     * item: the item's row is locked first, so a reservation (which locks it too) either came before
     * and is seen, or comes after and serves the new content. Null when changed; else why not.
     */
    async updateUnjudgedItem(id: string, set: Partial<ItemValues>): Promise<'judged' | 'held' | null> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select 1 from ${items} where ${items.id} = ${id} for update`);
        const [j] = await tx.select({ id: judgments.id }).from(judgments).where(eq(judgments.itemId, id)).limit(1);
        if (j) return 'judged';
        const [a] = await tx
          .select({ id: assignments.id })
          .from(assignments)
          .where(and(eq(assignments.itemId, id), eq(assignments.status, 'reserved'), gt(assignments.expiresAt, sql`now()`)))
          .limit(1);
        if (a) return 'held';
        await tx.update(items).set(set).where(eq(items.id, id));
        return null;
      });
    },

    /** Inserts the items that are not there yet; returns how many were. */
    async insertItems(values: ItemValues[]): Promise<number> {
      const got = await db.insert(items).values(values).onConflictDoNothing().returning({ id: items.id });
      return got.length;
    },

    async itemsByExternalId(projectId: string, externalIds: string[]) {
      return db
        .select({ id: items.id, externalId: items.externalId, prompt: items.prompt, responses: items.responses })
        .from(items)
        .where(and(eq(items.projectId, projectId), inArray(items.externalId, externalIds)));
    },

    async judgmentsOf(itemIds: string[], userIds: string[]) {
      return db
        .select({ id: judgments.id, itemId: judgments.itemId, userId: judgments.userId, source: judgments.source, payload: judgments.payload })
        .from(judgments)
        .where(and(inArray(judgments.itemId, itemIds), inArray(judgments.userId, userIds)));
    },

    /** Retried when it lost a deadlock (the consensus sweep and the quality triggers lock the same items). */
    async updateJudgment(id: string, set: { payload: JudgmentPayload; updatedAt: Date; submittedAt: Date; timeSpentMs: number | null }) {
      await retryingDeadlocks(() => db.update(judgments).set(set).where(eq(judgments.id, id)));
    },

    /**
     * Inserts the judgments that are not there yet; returns how many were. One statement, so a
     * deadlock with the consensus sweep (which claims and labels the same items) rolls it back whole
     * and it runs again.
     */
    async insertJudgments(values: JudgmentValues[]): Promise<number> {
      const got = await retryingDeadlocks(() => db.insert(judgments).values(values).onConflictDoNothing().returning({ id: judgments.id }));
      return got.length;
    },
  };
}

export type ImportsRepo = ReturnType<typeof createImportsRepo>;
