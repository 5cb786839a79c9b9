/** Red teaming in SQL: model endpoints, recorded calls and reviewers' verdicts. */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { assignments, items, judgments, modelEndpoints, redteamCalls, redteamReviews, users, type Db } from '@accord/db';
import { audit, type AuditEntry } from '../../platform/audit.ts';

export type EndpointRow = typeof modelEndpoints.$inferSelect;
export type CallRow = typeof redteamCalls.$inferSelect;

export function createRedteamRepo(db: Db) {
  return {
    audit: (entry: AuditEntry) => audit(db, entry),

    listEndpoints: (): Promise<EndpointRow[]> => db.select().from(modelEndpoints).orderBy(asc(modelEndpoints.name)),

    async endpoint(id: string): Promise<EndpointRow | null> {
      const [row] = await db.select().from(modelEndpoints).where(eq(modelEndpoints.id, id));
      return row ?? null;
    },

    async endpointByName(name: string): Promise<EndpointRow | null> {
      const [row] = await db.select().from(modelEndpoints).where(eq(modelEndpoints.name, name));
      return row ?? null;
    },

    async createEndpoint(values: typeof modelEndpoints.$inferInsert): Promise<EndpointRow> {
      const [row] = await db.insert(modelEndpoints).values(values).returning();
      return row!;
    },

    async updateEndpoint(id: string, values: Partial<typeof modelEndpoints.$inferInsert>): Promise<EndpointRow | null> {
      const [row] = await db
        .update(modelEndpoints)
        .set({ ...values, updatedAt: new Date() })
        .where(eq(modelEndpoints.id, id))
        .returning();
      return row ?? null;
    },

    async deleteEndpoint(id: string): Promise<boolean> {
      const rows = await db.delete(modelEndpoints).where(eq(modelEndpoints.id, id)).returning({ id: modelEndpoints.id });
      return rows.length > 0;
    },

    /** The caller's live reservation (its item's goal), or null when it is not theirs or not live. */
    async liveAssignment(projectId: string, userId: string, assignmentId: string): Promise<{ status: string; expiresAt: Date; goal: string } | null> {
      const [row] = await db
        .select({ status: assignments.status, expiresAt: assignments.expiresAt, goal: items.prompt })
        .from(assignments)
        .innerJoin(items, eq(items.id, assignments.itemId))
        .where(and(eq(assignments.id, assignmentId), eq(assignments.projectId, projectId), eq(assignments.userId, userId)));
      return row ?? null;
    },

    async recordCall(values: typeof redteamCalls.$inferInsert): Promise<CallRow> {
      const [row] = await db.insert(redteamCalls).values(values).returning();
      return row!;
    },

    async call(id: string): Promise<CallRow | null> {
      const [row] = await db.select().from(redteamCalls).where(eq(redteamCalls.id, id));
      return row ?? null;
    },

    /** The calls of a project by id (the export names each attack's model from them). */
    async callsOf(projectId: string): Promise<Map<string, CallRow>> {
      const rows = await db.select().from(redteamCalls).where(and(eq(redteamCalls.projectId, projectId), eq(redteamCalls.outcome, 'ok')));
      return new Map(rows.map((r) => [r.id, r]));
    },

    async submitted(projectId: string, judgmentId: string): Promise<{ id: string; userId: string; itemId: string } | null> {
      const [row] = await db
        .select({ id: judgments.id, userId: judgments.userId, itemId: judgments.itemId })
        .from(judgments)
        .where(and(eq(judgments.id, judgmentId), eq(judgments.projectId, projectId), eq(judgments.status, 'submitted')));
      return row ?? null;
    },

    async upsertReview(v: { judgmentId: string; reviewerId: string; projectId: string; confirmed: boolean; note: string }) {
      const now = new Date();
      const [row] = await db
        .insert(redteamReviews)
        .values({ ...v, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: [redteamReviews.judgmentId, redteamReviews.reviewerId], set: { confirmed: v.confirmed, note: v.note, updatedAt: now } })
        .returning();
      return row!;
    },

    /** Submitted attacks of a project (or of one of its items), oldest first, with the goal. */
    async attacks(projectId: string, itemId?: string) {
      return db
        .select({
          id: judgments.id,
          itemId: judgments.itemId,
          userId: judgments.userId,
          userName: users.name,
          payload: judgments.payload,
          goal: items.prompt,
          externalId: items.externalId,
          rubricVersion: judgments.rubricVersion,
          submittedAt: judgments.submittedAt,
          source: judgments.source,
        })
        .from(judgments)
        .innerJoin(items, eq(items.id, judgments.itemId))
        .innerJoin(users, eq(users.id, judgments.userId))
        .where(and(eq(judgments.projectId, projectId), eq(judgments.status, 'submitted'), itemId === undefined ? undefined : eq(judgments.itemId, itemId)))
        .orderBy(asc(items.position), asc(judgments.submittedAt), asc(judgments.id));
    },

    /** Reviews of a project's attacks (or of the attacks on one of its items). */
    async reviews(projectId: string, itemId?: string) {
      // Only submitted attacks are reviewed (and listed), so the item's submitted judgments suffice (a partial index).
      const ofItem =
        itemId === undefined
          ? undefined
          : inArray(redteamReviews.judgmentId, db.select({ id: judgments.id }).from(judgments).where(and(eq(judgments.itemId, itemId), eq(judgments.status, 'submitted'))));
      return db
        .select({ judgmentId: redteamReviews.judgmentId, reviewerId: redteamReviews.reviewerId, reviewerName: users.name, confirmed: redteamReviews.confirmed, note: redteamReviews.note, updatedAt: redteamReviews.updatedAt })
        .from(redteamReviews)
        .innerJoin(users, eq(users.id, redteamReviews.reviewerId))
        .where(and(eq(redteamReviews.projectId, projectId), ofItem))
        .orderBy(asc(redteamReviews.updatedAt), asc(redteamReviews.reviewerId));
    },
  };
}

export type RedteamRepo = ReturnType<typeof createRedteamRepo>;
