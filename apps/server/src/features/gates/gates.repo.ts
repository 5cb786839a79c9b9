/**
 * Gates in SQL: member pauses and calibration enrolment (columns of `project_members`, read with the
 * membership on every project request), the project's qualification, its attempts and answers. A
 * passing attempt raises the member's tier, adds the granted tags and stamps `qualified_at` in the
 * same transaction that closes it, with the control event every node applies.
 */
import { and, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { QualificationAttemptListQuery } from '@accord/core';
import {
  assignments,
  items,
  projectMembers,
  projects,
  qualificationAnswers,
  qualificationAttempts,
  qualifications,
  users,
  type Db,
  type StoredResponse,
  type StoredTurn,
  type Tx,
} from '@accord/db';
import { audit } from '../../platform/audit.ts';
import { recordControlEvents } from '../../platform/bus.ts';

export type QualificationRow = typeof qualifications.$inferSelect;
export type AttemptRow = typeof qualificationAttempts.$inferSelect;
export type AnswerRow = typeof qualificationAnswers.$inferSelect;
export type MemberRow = typeof projectMembers.$inferSelect & { email: string; name: string; active: boolean };

export interface GoldItemRow {
  id: string;
  externalId: string;
  isGold: boolean;
  gold: unknown;
  prompt: string;
  context: StoredTurn[];
  responses: StoredResponse[];
  reference: string | null;
}

export interface AttemptWithUser {
  attempt: AttemptRow;
  answered: number;
  user: { name: string; email: string };
}

/** What closing an attempt grants (null: nothing, it failed or is not decided). */
export interface Grant {
  tier: number | null;
  tags: string[];
  at: Date;
}

const memberWhere = (projectId: string, userId: string) => and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId));

async function memberOf(db: Db | Tx, projectId: string, userId: string): Promise<MemberRow | null> {
  const [r] = await db
    .select({ m: projectMembers, email: users.email, name: users.name, active: users.active })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(memberWhere(projectId, userId));
  return r ? { ...r.m, email: r.email, name: r.name, active: r.active } : null;
}

/** Raises the tier (never lowers it), adds the tags and stamps the pass, with its audit row and control event. */
async function applyGrant(tx: Tx, actorId: string | null, projectId: string, userId: string, g: Grant) {
  const [cur] = await tx.select().from(projectMembers).where(memberWhere(projectId, userId)).for('update');
  if (!cur) return;
  const tier = g.tier === null ? cur.tier : Math.max(cur.tier, g.tier);
  const tags = [...new Set([...cur.tags, ...g.tags])];
  await tx.update(projectMembers).set({ tier, tags, qualifiedAt: cur.qualifiedAt ?? g.at }).where(memberWhere(projectId, userId));
  await audit(tx, { actorId, action: 'member.qualified', projectId, target: userId, details: { from: { tier: cur.tier, tags: cur.tags }, to: { tier, tags } } });
  await recordControlEvents(tx, [{ name: 'member:eligibility-changed', payload: { projectId, userId, tier } }]);
}

export function createGatesRepo(db: Db) {
  return {
    member: (projectId: string, userId: string) => memberOf(db, projectId, userId),

    /** Sets or clears the pause; false when the user is not a member. */
    async setPause(actorId: string, projectId: string, userId: string, pause: { at: Date; reason: string } | null): Promise<boolean> {
      return db.transaction(async (tx) => {
        const set = pause ? { pausedAt: pause.at, pauseReason: pause.reason, pausedBy: actorId } : { pausedAt: null, pauseReason: '', pausedBy: null };
        const done = await tx.update(projectMembers).set(set).where(memberWhere(projectId, userId)).returning({ tier: projectMembers.tier });
        if (!done[0]) return false;
        await audit(tx, { actorId, action: pause ? 'member.paused' : 'member.resumed', projectId, target: userId, details: pause ? { reason: pause.reason } : {} });
        await recordControlEvents(tx, [{ name: 'member:eligibility-changed', payload: { projectId, userId, tier: done[0].tier } }]);
        return true;
      });
    },

    async setCalibration(actorId: string, projectId: string, userId: string, cal: { at: Date; note: string } | null): Promise<boolean> {
      return db.transaction(async (tx) => {
        const set = cal ? { calibrationAt: cal.at, calibrationNote: cal.note, calibrationBy: actorId } : { calibrationAt: null, calibrationNote: '', calibrationBy: null };
        const done = await tx.update(projectMembers).set(set).where(memberWhere(projectId, userId)).returning({ userId: projectMembers.userId });
        if (!done[0]) return false;
        await audit(tx, { actorId, action: cal ? 'member.calibration_enrolled' : 'member.calibration_withdrawn', projectId, target: userId, details: cal ? { note: cal.note } : {} });
        return true;
      });
    },

    // ---------------------------------------------------------------- the qualification

    async qualification(projectId: string): Promise<{ row: QualificationRow; required: boolean } | null> {
      const [r] = await db.select({ q: qualifications, required: projects.qualificationRequired }).from(qualifications).innerJoin(projects, eq(projects.id, qualifications.projectId)).where(eq(qualifications.projectId, projectId));
      return r ? { row: r.q, required: r.required } : null;
    },

    async items(projectId: string, ids: readonly string[]): Promise<GoldItemRow[]> {
      if (ids.length === 0) return [];
      return db
        .select({ id: items.id, externalId: items.externalId, isGold: items.isGold, gold: items.gold, prompt: items.prompt, context: items.context, responses: items.responses, reference: items.reference })
        .from(items)
        .where(and(eq(items.projectId, projectId), inArray(items.id, [...ids])));
    },

    async putQualification(actorId: string, projectId: string, v: Omit<typeof qualifications.$inferInsert, 'projectId' | 'updatedBy' | 'updatedAt'>, required: boolean, at: Date): Promise<QualificationRow> {
      return db.transaction(async (tx) => {
        const values = { ...v, projectId, updatedBy: actorId, updatedAt: at };
        const [row] = await tx.insert(qualifications).values(values).onConflictDoUpdate({ target: qualifications.projectId, set: values }).returning();
        await tx.update(projects).set({ qualificationRequired: required }).where(eq(projects.id, projectId));
        await audit(tx, { actorId, action: 'qualification.set', projectId, details: { ...v, required } });
        return row!;
      });
    },

    async removeQualification(actorId: string, projectId: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const gone = await tx.delete(qualifications).where(eq(qualifications.projectId, projectId)).returning({ id: qualifications.projectId });
        await tx.update(projects).set({ qualificationRequired: false }).where(eq(projects.id, projectId));
        if (gone.length) await audit(tx, { actorId, action: 'qualification.removed', projectId });
        return gone.length > 0;
      });
    },

    // ---------------------------------------------------------------- attempts

    /** The member's newest attempt, with how many of its items are answered. */
    async latestAttempt(projectId: string, userId: string): Promise<AttemptWithUser | null> {
      const page = await this.attempts(projectId, { limit: 1, offset: 0 }, userId);
      return page.items[0] ?? null;
    },

    /**
     * Starts an attempt unless the member has an open one (answering or awaiting review), which it
     * returns instead: a partial unique index keeps one open attempt per member, under concurrency too.
     */
    async startAttempt(v: { projectId: string; userId: string; itemIds: string[]; passThreshold: number; review: AttemptRow['review']; at: Date }): Promise<AttemptRow> {
      const [made] = await db
        .insert(qualificationAttempts)
        .values({ projectId: v.projectId, userId: v.userId, itemIds: v.itemIds, passThreshold: v.passThreshold, review: v.review, startedAt: v.at })
        .onConflictDoNothing()
        .returning();
      if (made) return made;
      const [open] = await db
        .select()
        .from(qualificationAttempts)
        .where(and(eq(qualificationAttempts.projectId, v.projectId), eq(qualificationAttempts.userId, v.userId), inArray(qualificationAttempts.status, ['in_progress', 'awaiting_review'])));
      if (!open) throw new Error('an open qualification attempt vanished');
      return open;
    },

    async attempt(projectId: string, attemptId: string): Promise<AttemptWithUser | null> {
      const [r] = await db
        .select({ a: qualificationAttempts, name: users.name, email: users.email, answered: sql<number>`(select count(*)::int from qualification_answers x where x.attempt_id = ${qualificationAttempts.id})` })
        .from(qualificationAttempts)
        .innerJoin(users, eq(users.id, qualificationAttempts.userId))
        .where(and(eq(qualificationAttempts.id, attemptId), eq(qualificationAttempts.projectId, projectId)));
      return r ? { attempt: r.a, answered: Number(r.answered), user: { name: r.name, email: r.email } } : null;
    },

    async attempts(projectId: string, q: Pick<QualificationAttemptListQuery, 'limit' | 'offset'> & Partial<QualificationAttemptListQuery>, onlyUserId: string | null): Promise<{ items: AttemptWithUser[]; total: number }> {
      const where: SQL[] = [eq(qualificationAttempts.projectId, projectId)];
      const userId = onlyUserId ?? q.userId;
      if (userId) where.push(eq(qualificationAttempts.userId, userId));
      if (q.status) where.push(eq(qualificationAttempts.status, q.status));
      const cond = and(...where);
      const rows = await db
        .select({ a: qualificationAttempts, name: users.name, email: users.email, answered: sql<number>`(select count(*)::int from qualification_answers x where x.attempt_id = ${qualificationAttempts.id})` })
        .from(qualificationAttempts)
        .innerJoin(users, eq(users.id, qualificationAttempts.userId))
        .where(cond)
        .orderBy(desc(qualificationAttempts.startedAt), desc(qualificationAttempts.id))
        .limit(q.limit)
        .offset(q.offset);
      const [total] = await db.select({ n: count() }).from(qualificationAttempts).where(cond);
      return { items: rows.map((r) => ({ attempt: r.a, answered: Number(r.answered), user: { name: r.name, email: r.email } })), total: total?.n ?? 0 };
    },

    async answers(attemptId: string): Promise<AnswerRow[]> {
      return db.select().from(qualificationAnswers).where(eq(qualificationAnswers.attemptId, attemptId));
    },

    /** Stores the answer once; returns the stored one (this or an earlier answer of the same item). */
    async storeAnswer(v: typeof qualificationAnswers.$inferInsert): Promise<{ row: AnswerRow; fresh: boolean }> {
      const [made] = await db.insert(qualificationAnswers).values(v).onConflictDoNothing().returning();
      if (made) return { row: made, fresh: true };
      const [cur] = await db.select().from(qualificationAnswers).where(and(eq(qualificationAnswers.attemptId, v.attemptId), eq(qualificationAnswers.itemId, v.itemId)));
      return { row: cur!, fresh: false };
    },

    /**
     * Closes an open attempt (once: only from `from`), and applies the grant of a pass in the same
     * transaction. False when another request closed it first.
     */
    async close(
      actorId: string | null,
      a: AttemptRow,
      from: AttemptRow['status'],
      set: Partial<Pick<AttemptRow, 'status' | 'score' | 'reviewShare' | 'reviewComment' | 'gradedBy' | 'finishedAt' | 'retryAt'>>,
      grant: Grant | null,
      met: { itemId: string; met: number[] }[] = [],
    ): Promise<AttemptRow | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(qualificationAttempts)
          .set(set)
          .where(and(eq(qualificationAttempts.id, a.id), eq(qualificationAttempts.status, from)))
          .returning();
        if (!row) return null;
        for (const m of met) await tx.update(qualificationAnswers).set({ met: m.met }).where(and(eq(qualificationAnswers.attemptId, a.id), eq(qualificationAnswers.itemId, m.itemId)));
        if (set.status && set.status !== from)
          await audit(tx, { actorId, action: `qualification.${set.status}`, projectId: a.projectId, target: a.userId, details: { attemptId: a.id, score: row.score, reviewShare: row.reviewShare } });
        if (grant) await applyGrant(tx, actorId, a.projectId, a.userId, grant);
        return row;
      });
    },

    /**
     * Qualification items count as seen for the member's real work: a released gold assignment each
     * (the queue never gives a member an item they have an assignment for, and the queue triggers
     * count it as seen gold), so a gold item met in qualification does not come back as real work.
     */
    async markSeen(projectId: string, userId: string, item: { id: string; isGold: boolean; responses: StoredResponse[] }, at: Date): Promise<void> {
      await db
        .insert(assignments)
        .values({ projectId, itemId: item.id, userId, status: 'released', isGold: item.isGold, responseOrder: item.responses.map((r) => r.id), reservedAt: at, expiresAt: at })
        .onConflictDoNothing();
    },
  };
}

export type GatesRepo = ReturnType<typeof createGatesRepo>;
