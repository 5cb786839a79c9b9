/**
 * Assignments and judgments in SQL: the only code of the judging feature that speaks to the
 * database. The k limit holds under concurrency: an item row is locked (FOR UPDATE SKIP LOCKED)
 * while its reservations are counted and one is added, so two requests at the same moment can
 * never both take its last slot.
 */
import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Judgment, JudgmentListQuery, ProjectSettings } from '@accord/core';
import { assignments, items, judgments, projects, users, type Db, type Tx } from '@accord/db';
import { audit } from '../../platform/audit.ts';

export type AssignmentRow = typeof assignments.$inferSelect;
export type JudgmentRow = typeof judgments.$inferSelect;
export type ItemRow = typeof items.$inferSelect;
type JudgmentValues = typeof judgments.$inferInsert;

/** Reservations and imported judgments that occupy one of an item's k slots. */
const activeCount = (itemId: SQL | typeof items.id, exceptAssignment?: string) => sql<number>`(
  (select count(*) from ${assignments} a where a.item_id = ${itemId}
     and (a.status = 'submitted' or (a.status = 'reserved' and a.expires_at > now()))
     ${exceptAssignment ? sql`and a.id <> ${exceptAssignment}` : sql``})
  + (select count(*) from ${judgments} j where j.item_id = ${itemId} and j.source = 'import'))::int`;

/** Items this member could be given now (non-gold, not seen by them, under k). */
function candidates(projectId: string, userId: string, k: number, gold: boolean) {
  const conds: SQL[] = [
    eq(items.projectId, projectId),
    eq(items.isGold, gold),
    sql`not exists (select 1 from ${assignments} a where a.item_id = ${items.id} and a.user_id = ${userId})`,
    sql`not exists (select 1 from ${judgments} j where j.item_id = ${items.id} and j.user_id = ${userId})`,
  ];
  if (!gold) conds.push(sql`${activeCount(items.id)} < ${k}`);
  return and(...conds);
}

export function toJudgment(j: JudgmentRow, item: { externalId: string | null; prompt: string }, user: { name: string; email: string }): Judgment {
  return {
    id: j.id,
    projectId: j.projectId,
    itemId: j.itemId,
    userId: j.userId,
    assignmentId: j.assignmentId,
    status: j.status,
    source: j.source,
    rubricVersion: j.rubricVersion,
    payload: j.payload,
    responseOrder: j.responseOrder,
    timeSpentMs: j.timeSpentMs,
    createdAt: j.createdAt.toISOString(),
    submittedAt: j.submittedAt ? j.submittedAt.toISOString() : null,
    item,
    user,
  };
}

/** Queries that run inside one transaction; the locks they take hold until it commits. */
function txRepo(tx: Tx) {
  return {
    /** Locks the item row, serialising everything that counts its slots. */
    async lockItem(itemId: string) {
      await tx.select({ id: items.id }).from(items).where(eq(items.id, itemId)).for('update');
    },
    /** Slots of the item in use, not counting `exceptAssignment`. */
    async activeCount(itemId: string, exceptAssignment?: string): Promise<number> {
      const [n] = await tx.select({ n: activeCount(sql`${itemId}`, exceptAssignment) }).from(sql`(select 1) as one`);
      return n?.n ?? 0;
    },
    async lockAssignment(id: string): Promise<AssignmentRow> {
      const [cur] = await tx.select().from(assignments).where(eq(assignments.id, id)).for('update');
      return cur!;
    },
    async judgmentOf(itemId: string, userId: string): Promise<JudgmentRow | null> {
      const [j] = await tx.select().from(judgments).where(and(eq(judgments.itemId, itemId), eq(judgments.userId, userId)));
      return j ?? null;
    },
    async expire(assignmentId: string) {
      await tx.update(assignments).set({ status: 'expired' }).where(eq(assignments.id, assignmentId));
    },
    async extend(assignmentId: string, expiresAt: Date): Promise<AssignmentRow | null> {
      const [row] = await tx.update(assignments).set({ expiresAt }).where(eq(assignments.id, assignmentId)).returning();
      return row ?? null;
    },
    /** Stores the submitted judgment over a draft (never over a submitted one). */
    async upsertSubmitted(values: JudgmentValues): Promise<JudgmentRow> {
      const [row] = await tx
        .insert(judgments)
        .values(values)
        .onConflictDoUpdate({ target: [judgments.itemId, judgments.userId], set: values, setWhere: sql`${judgments.status} = 'draft'` })
        .returning();
      return row!;
    },
    async markSubmitted(assignmentId: string, at: Date) {
      await tx.update(assignments).set({ status: 'submitted', submittedAt: at }).where(eq(assignments.id, assignmentId));
    },
  };
}

export type JudgingTx = ReturnType<typeof txRepo>;

export function createJudgingRepo(db: Db) {
  return {
    withTx: <T>(fn: (tx: JudgingTx) => Promise<T>): Promise<T> => db.transaction((tx) => fn(txRepo(tx))),

    async saveSettings(actorId: string, projectId: string, settings: ProjectSettings, details: Record<string, unknown>) {
      await db.update(projects).set({ settings, updatedAt: new Date() }).where(eq(projects.id, projectId));
      await audit(db, { actorId, action: 'project.settings_changed', projectId, details });
    },

    async countSubmitted(projectId: string, userId: string): Promise<number> {
      const [done] = await db
        .select({ n: count() })
        .from(judgments)
        .where(and(eq(judgments.projectId, projectId), eq(judgments.userId, userId), eq(judgments.status, 'submitted'), eq(judgments.source, 'accord')));
      return done?.n ?? 0;
    },

    async countReserved(projectId: string, userId: string): Promise<number> {
      const [reserved] = await db
        .select({ n: count() })
        .from(assignments)
        .where(and(eq(assignments.projectId, projectId), eq(assignments.userId, userId), eq(assignments.status, 'reserved'), sql`${assignments.expiresAt} > now()`));
      return reserved?.n ?? 0;
    },

    /** Non-gold items this member could be given now. */
    async countAvailable(projectId: string, userId: string, k: number): Promise<number> {
      const [r] = await db.select({ n: count() }).from(items).where(candidates(projectId, userId, k, false));
      return r?.n ?? 0;
    },

    async item(itemId: string): Promise<ItemRow> {
      const [item] = await db.select().from(items).where(eq(items.id, itemId));
      return item!;
    },

    async judgmentOf(itemId: string, userId: string): Promise<JudgmentRow | null> {
      const [j] = await db.select().from(judgments).where(and(eq(judgments.itemId, itemId), eq(judgments.userId, userId)));
      return j ?? null;
    },

    /**
     * Reserves one item for the member in one transaction; null when nothing fits. First skips items
     * another request is reserving right now; when that leaves nothing, waits for those locks
     * instead, so a trainer asking at the same moment as others still gets work.
     */
    async reserve(
      projectId: string,
      userId: string,
      s: { overlap: number; reservationMinutes: number },
      gold: boolean,
      order: (responseIds: string[]) => string[],
    ): Promise<AssignmentRow | null> {
      return db.transaction(async (tx) => {
        const skip: string[] = [];
        let wait = false;
        for (let attempt = 0; attempt < 40; attempt++) {
          const c = candidates(projectId, userId, s.overlap, gold);
          const cond = skip.length ? and(c, sql`${items.id} not in (${sql.join(skip.map((id) => sql`${id}`), sql`, `)})`) : c;
          const [cand] = await tx
            .select({ id: items.id, responses: items.responses })
            .from(items)
            .where(cond)
            .orderBy(gold ? sql`random()` : asc(items.position), asc(items.id))
            .limit(1)
            .for('update', wait ? {} : { skipLocked: true });
          if (!cand) {
            if (wait) return null;
            wait = true;
            continue;
          }
          if (!gold) {
            // Counted again after the lock: a reservation committed meanwhile is visible to this statement.
            const [n] = await tx.select({ n: activeCount(sql`${cand.id}`) }).from(sql`(select 1) as one`);
            if ((n?.n ?? 0) >= s.overlap) {
              skip.push(cand.id);
              continue;
            }
          }
          const reservedAt = new Date();
          const expiresAt = new Date(reservedAt.getTime() + s.reservationMinutes * 60_000);
          const [a] = await tx
            .insert(assignments)
            .values({ projectId, itemId: cand.id, userId, isGold: gold, responseOrder: order(cand.responses.map((r) => r.id)), reservedAt, expiresAt })
            .onConflictDoNothing()
            .returning();
          if (a) return a;
          skip.push(cand.id);
        }
        return null;
      });
    },

    /** The member's reservations in this project (expired ones included), oldest first. */
    async openReservations(projectId: string, userId: string): Promise<AssignmentRow[]> {
      return db
        .select()
        .from(assignments)
        .where(and(eq(assignments.projectId, projectId), eq(assignments.userId, userId), eq(assignments.status, 'reserved')))
        .orderBy(asc(assignments.reservedAt));
    },

    async assignment(projectId: string, userId: string, assignmentId: string): Promise<AssignmentRow | null> {
      const [a] = await db.select().from(assignments).where(and(eq(assignments.id, assignmentId), eq(assignments.projectId, projectId), eq(assignments.userId, userId)));
      return a ?? null;
    },

    /** Writes the draft unless the judgment is already submitted. */
    async upsertDraft(values: JudgmentValues & { payload: unknown; timeSpentMs: number | null }, at: Date) {
      await db
        .insert(judgments)
        .values(values)
        .onConflictDoUpdate({
          target: [judgments.itemId, judgments.userId],
          set: { payload: values.payload, timeSpentMs: values.timeSpentMs, updatedAt: at },
          setWhere: sql`${judgments.status} = 'draft'`,
        });
    },

    /** Gives a reservation back and deletes its draft. */
    async release(assignmentId: string, itemId: string, userId: string) {
      await db.update(assignments).set({ status: 'released' }).where(and(eq(assignments.id, assignmentId), eq(assignments.status, 'reserved')));
      await db.delete(judgments).where(and(eq(judgments.itemId, itemId), eq(judgments.userId, userId), eq(judgments.status, 'draft')));
    },

    /** One judgment as the API shows it (the prompt cut to 300 characters). */
    async view(j: JudgmentRow, showExternalId: boolean): Promise<Judgment> {
      const [it] = await db.select({ externalId: items.externalId, prompt: items.prompt }).from(items).where(eq(items.id, j.itemId));
      const [u] = await db.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, j.userId));
      return toJudgment(j, { externalId: showExternalId ? it!.externalId : null, prompt: it!.prompt.slice(0, 300) }, u!);
    },

    async page(projectId: string, q: JudgmentListQuery, onlyUserId: string | null, showExternalId: boolean): Promise<{ items: Judgment[]; total: number }> {
      const where: SQL[] = [eq(judgments.projectId, projectId), eq(judgments.status, q.status)];
      if (onlyUserId) where.push(eq(judgments.userId, onlyUserId));
      if (q.itemId) where.push(eq(judgments.itemId, q.itemId));
      if (q.source) where.push(eq(judgments.source, q.source));
      if (q.rubricVersion) where.push(eq(judgments.rubricVersion, q.rubricVersion));
      const cond = and(...where);
      const at = sql`coalesce(${judgments.submittedAt}, ${judgments.updatedAt})`;
      const order = q.order === 'asc' ? asc(at) : desc(at);
      const rows = await db
        .select({ j: judgments, externalId: items.externalId, prompt: sql<string>`left(${items.prompt}, 300)`, name: users.name, email: users.email })
        .from(judgments)
        .innerJoin(items, eq(items.id, judgments.itemId))
        .innerJoin(users, eq(users.id, judgments.userId))
        .where(cond)
        .orderBy(order, asc(judgments.id))
        .limit(q.limit)
        .offset(q.offset);
      const [total] = await db.select({ n: count() }).from(judgments).where(cond);
      return {
        items: rows.map((r) => toJudgment(r.j, { externalId: showExternalId ? r.externalId : null, prompt: r.prompt }, { name: r.name, email: r.email })),
        total: total?.n ?? 0,
      };
    },
  };
}

export type JudgingRepo = ReturnType<typeof createJudgingRepo>;
