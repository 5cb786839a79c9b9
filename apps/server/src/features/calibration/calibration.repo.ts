/**
 * Calibration sessions in SQL. Every change of a session's state is one UPDATE guarded by the phase
 * (and round) it expects, so two leads pressing "reveal" at once, or a submit racing a reveal, have
 * one outcome: the loser sees zero rows and gets a conflict. A judgment's `blind` is decided in the
 * INSERT itself from the round's `revealed_at`, in the same statement, so a submit that lands after
 * the reveal can never be counted as blind.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm';
import {
  assignments,
  calibrationJudgments,
  calibrationParticipants,
  calibrationRounds,
  calibrationSessions,
  items,
  judgments,
  projectMembers,
  qualityFlags,
  qualityItems,
  users,
  type Db,
  type StoredResponse,
  type StoredTurn,
} from '@accord/db';
import { audit } from '../../platform/audit.ts';

export type SessionRow = typeof calibrationSessions.$inferSelect;
export type RoundRow = typeof calibrationRounds.$inferSelect;
export type CalJudgmentRow = typeof calibrationJudgments.$inferSelect;
export interface ParticipantRow {
  userId: string;
  name: string;
  position: number;
  joinedAt: Date | null;
  flagOutcome: 'cleared' | 'kept' | null;
  role: 'lead' | 'reviewer' | 'trainer' | null;
}
export interface ItemRow {
  id: string;
  isGold: boolean;
  prompt: string;
  context: StoredTurn[];
  responses: StoredResponse[];
  reference: string | null;
}

export function createCalibrationRepo(db: Db) {
  return {
    async create(actorId: string, v: Omit<typeof calibrationSessions.$inferInsert, 'id'>, participantIds: readonly string[]): Promise<SessionRow> {
      return db.transaction(async (tx) => {
        const [row] = await tx.insert(calibrationSessions).values(v).returning();
        await tx.insert(calibrationParticipants).values(participantIds.map((userId, i) => ({ sessionId: row!.id, userId, position: i + 1 })));
        await audit(tx, { actorId, action: 'calibration.create', projectId: v.projectId, target: row!.id, details: { title: v.title, items: v.itemIds.length, participants: participantIds.length } });
        return row!;
      });
    },

    async list(projectId: string, onlyFor: string | null) {
      const counts = sql<number>`(select count(*)::int from ${calibrationParticipants} cp where cp.session_id = ${calibrationSessions.id})`;
      const mine = onlyFor ?? '00000000-0000-0000-0000-000000000000';
      const isMine = sql<boolean>`exists (select 1 from ${calibrationParticipants} cp where cp.session_id = ${calibrationSessions.id} and cp.user_id = ${mine})`;
      const q = db
        .select({ s: calibrationSessions, participants: counts, isParticipant: isMine })
        .from(calibrationSessions)
        .where(and(eq(calibrationSessions.projectId, projectId), onlyFor ? isMine : undefined))
        .orderBy(desc(calibrationSessions.createdAt))
        .limit(200);
      return q;
    },

    async session(projectId: string, sessionId: string): Promise<SessionRow | null> {
      const [row] = await db
        .select()
        .from(calibrationSessions)
        .where(and(eq(calibrationSessions.id, sessionId), eq(calibrationSessions.projectId, projectId)));
      return row ?? null;
    },

    async sessionById(sessionId: string): Promise<SessionRow | null> {
      const [row] = await db.select().from(calibrationSessions).where(eq(calibrationSessions.id, sessionId));
      return row ?? null;
    },

    async participants(sessionId: string, projectId: string): Promise<ParticipantRow[]> {
      return db
        .select({ userId: calibrationParticipants.userId, name: users.name, position: calibrationParticipants.position, joinedAt: calibrationParticipants.joinedAt, flagOutcome: calibrationParticipants.flagOutcome, role: projectMembers.role })
        .from(calibrationParticipants)
        .innerJoin(users, eq(users.id, calibrationParticipants.userId))
        .leftJoin(projectMembers, and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, calibrationParticipants.userId)))
        .where(eq(calibrationParticipants.sessionId, sessionId))
        .orderBy(asc(calibrationParticipants.position));
    },

    async isParticipant(sessionId: string, userId: string): Promise<boolean> {
      const [row] = await db
        .select({ u: calibrationParticipants.userId })
        .from(calibrationParticipants)
        .where(and(eq(calibrationParticipants.sessionId, sessionId), eq(calibrationParticipants.userId, userId)));
      return Boolean(row);
    },

    async addParticipants(actorId: string, s: SessionRow, userIds: readonly string[]): Promise<boolean> {
      return db.transaction(async (tx) => {
        const bumped = await tx
          .update(calibrationSessions)
          .set({ version: sql`${calibrationSessions.version} + 1` })
          .where(and(eq(calibrationSessions.id, s.id), sql`${calibrationSessions.phase} <> 'ended'`))
          .returning({ id: calibrationSessions.id });
        if (!bumped.length) return false;
        const [top] = await tx.select({ m: sql<number>`coalesce(max(${calibrationParticipants.position}), 0)::int` }).from(calibrationParticipants).where(eq(calibrationParticipants.sessionId, s.id));
        const start = top?.m ?? 0;
        await tx
          .insert(calibrationParticipants)
          .values(userIds.map((userId, i) => ({ sessionId: s.id, userId, position: start + i + 1 })))
          .onConflictDoNothing();
        await audit(tx, { actorId, action: 'calibration.participants', projectId: s.projectId, target: s.id, details: { added: userIds.length } });
        return true;
      });
    },

    async markJoined(sessionId: string, userId: string, at: Date): Promise<boolean> {
      return db.transaction(async (tx) => {
        const r = await tx
          .update(calibrationParticipants)
          .set({ joinedAt: at })
          .where(and(eq(calibrationParticipants.sessionId, sessionId), eq(calibrationParticipants.userId, userId), isNull(calibrationParticipants.joinedAt)))
          .returning({ u: calibrationParticipants.userId });
        if (r.length) await tx.update(calibrationSessions).set({ version: sql`${calibrationSessions.version} + 1` }).where(eq(calibrationSessions.id, sessionId));
        return r.length > 0;
      });
    },

    async rounds(sessionId: string): Promise<RoundRow[]> {
      return db.select().from(calibrationRounds).where(eq(calibrationRounds.sessionId, sessionId)).orderBy(asc(calibrationRounds.openedAt), asc(calibrationRounds.number));
    },

    /** Opens a round and points the session at it, if the session is still where the caller saw it (phase and round). */
    async openRound(actorId: string, s: SessionRow, v: { itemIndex: number; itemId: string; number: number; at: Date }): Promise<boolean> {
      return db.transaction(async (tx) => {
        const roundId = randomUUID();
        const moved = await tx
          .update(calibrationSessions)
          .set({ phase: 'judging', roundId, itemIndex: v.itemIndex, version: sql`${calibrationSessions.version} + 1`, startedAt: s.startedAt ?? v.at })
          .where(and(eq(calibrationSessions.id, s.id), eq(calibrationSessions.phase, s.phase), s.roundId ? eq(calibrationSessions.roundId, s.roundId) : isNull(calibrationSessions.roundId)))
          .returning({ id: calibrationSessions.id });
        if (!moved.length) return false;
        await tx.insert(calibrationRounds).values({ id: roundId, sessionId: s.id, itemId: v.itemId, number: v.number, openedAt: v.at });
        await audit(tx, { actorId, action: 'calibration.round', projectId: s.projectId, target: s.id, details: { itemId: v.itemId, number: v.number } });
        return true;
      });
    },

    async reveal(actorId: string, s: SessionRow, roundId: string, missing: string[], showNames: boolean, at: Date): Promise<boolean> {
      return db.transaction(async (tx) => {
        const moved = await tx
          .update(calibrationSessions)
          .set({ phase: 'revealed', showNames, version: sql`${calibrationSessions.version} + 1` })
          .where(and(eq(calibrationSessions.id, s.id), eq(calibrationSessions.phase, 'judging'), eq(calibrationSessions.roundId, roundId)))
          .returning({ id: calibrationSessions.id });
        if (!moved.length) return false;
        await tx.update(calibrationRounds).set({ revealedAt: at, missingAtReveal: missing }).where(eq(calibrationRounds.id, roundId));
        await audit(tx, { actorId, action: 'calibration.reveal', projectId: s.projectId, target: s.id, details: { roundId, missing: missing.length } });
        return true;
      });
    },

    /**
     * Stores a participant's judgment of a round (first one wins; the caller compares a repeat). `blind`
     * is read from the round in the same statement: false once the round has been revealed.
     */
    async storeJudgment(v: { roundId: string; sessionId: string; userId: string; payload: Record<string, unknown>; responseOrder: string[]; timeSpentMs: number | null; at: Date }): Promise<{ row: CalJudgmentRow; fresh: boolean }> {
      const inserted = (await db.execute(sql`
        insert into ${calibrationJudgments} (round_id, session_id, user_id, payload, response_order, time_spent_ms, blind, submitted_at)
        select ${v.roundId}, ${v.sessionId}, ${v.userId}, ${JSON.stringify(v.payload)}::jsonb, ${JSON.stringify(v.responseOrder)}::jsonb, ${v.timeSpentMs}, r.revealed_at is null, ${v.at.toISOString()}::timestamptz
        from ${calibrationRounds} r where r.id = ${v.roundId}
        on conflict (round_id, user_id) do nothing
        returning id`)) as unknown as { rows: { id: string }[] };
      const fresh = inserted.rows.length > 0;
      const [row] = await db
        .select()
        .from(calibrationJudgments)
        .where(and(eq(calibrationJudgments.roundId, v.roundId), eq(calibrationJudgments.userId, v.userId)));
      if (fresh) await db.update(calibrationSessions).set({ version: sql`${calibrationSessions.version} + 1` }).where(eq(calibrationSessions.id, v.sessionId));
      return { row: row!, fresh };
    },

    /** Who has submitted in a round (never what). */
    async submitters(roundId: string): Promise<string[]> {
      const rows = await db.select({ u: calibrationJudgments.userId }).from(calibrationJudgments).where(eq(calibrationJudgments.roundId, roundId));
      return rows.map((r) => r.u);
    },

    async myJudgment(roundId: string, userId: string): Promise<CalJudgmentRow | null> {
      const [row] = await db
        .select()
        .from(calibrationJudgments)
        .where(and(eq(calibrationJudgments.roundId, roundId), eq(calibrationJudgments.userId, userId)));
      return row ?? null;
    },

    /** Every judgment of the given rounds (callers pass revealed rounds only). */
    async judgmentsOf(roundIds: readonly string[]): Promise<CalJudgmentRow[]> {
      if (!roundIds.length) return [];
      return db.select().from(calibrationJudgments).where(inArray(calibrationJudgments.roundId, [...roundIds])).orderBy(asc(calibrationJudgments.submittedAt));
    },

    /** Each item's first submitted judgment of this kind (the writing or the attack a session shows). */
    async firstWork(projectId: string, ids: readonly string[], kind: 'writing' | 'redteam'): Promise<Map<string, Record<string, unknown>>> {
      if (!ids.length) return new Map();
      const rows = await db
        .select({ itemId: judgments.itemId, payload: judgments.payload })
        .from(judgments)
        .where(and(eq(judgments.projectId, projectId), inArray(judgments.itemId, [...ids]), eq(judgments.status, 'submitted'), sql`${judgments.payload}->'preference'->>'kind' = ${kind}`))
        .orderBy(asc(judgments.submittedAt), asc(judgments.id));
      const out = new Map<string, Record<string, unknown>>();
      for (const r of rows) if (!out.has(r.itemId)) out.set(r.itemId, r.payload as Record<string, unknown>);
      return out;
    },

    /** Sets the lead's reference for an item (one statement: a concurrent reference for another item is kept). */
    async setReference(sessionId: string, itemId: string, value: { payload: Record<string, unknown>; userId: string; at: string }): Promise<void> {
      await db
        .update(calibrationSessions)
        .set({ referenceLabels: sql`${calibrationSessions.referenceLabels} || jsonb_build_object(${itemId}::text, ${JSON.stringify(value)}::jsonb)` })
        .where(eq(calibrationSessions.id, sessionId));
    },

    async items(projectId: string, ids: readonly string[]): Promise<ItemRow[]> {
      if (!ids.length) return [];
      return db
        .select({ id: items.id, isGold: items.isGold, prompt: items.prompt, context: items.context, responses: items.responses, reference: items.reference })
        .from(items)
        .where(and(eq(items.projectId, projectId), inArray(items.id, [...ids])));
    },

    /** Items judged at least twice, lowest agreement first (then the widest spread). */
    async lowestAgreement(projectId: string, count: number): Promise<string[]> {
      const rows = await db
        .select({ id: qualityItems.itemId })
        .from(qualityItems)
        .where(and(eq(qualityItems.projectId, projectId), gte(qualityItems.judgments, 2), isNotNull(qualityItems.agreement)))
        .orderBy(asc(qualityItems.agreement), sql`${qualityItems.spread} desc nulls last`, asc(qualityItems.itemId))
        .limit(count);
      return rows.map((r) => r.id);
    },

    async members(projectId: string, userIds: readonly string[]): Promise<string[]> {
      if (!userIds.length) return [];
      const rows = await db
        .select({ u: projectMembers.userId })
        .from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), inArray(projectMembers.userId, [...userIds])));
      return rows.map((r) => r.u);
    },

    async enrolled(projectId: string): Promise<string[]> {
      const rows = await db
        .select({ u: projectMembers.userId })
        .from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), isNotNull(projectMembers.calibrationAt)))
        .orderBy(asc(projectMembers.calibrationAt));
      return rows.map((r) => r.u);
    },

    /** Calibration items count as seen for the participant's ordinary work (they never come back as a task). */
    async markSeen(projectId: string, userId: string, item: ItemRow, at: Date): Promise<void> {
      await db
        .insert(assignments)
        .values({ projectId, itemId: item.id, userId, status: 'released', isGold: item.isGold, responseOrder: item.responses.map((r) => r.id), reservedAt: at, expiresAt: at })
        .onConflictDoNothing();
    },

    async openFlags(projectId: string, userIds: readonly string[]) {
      if (!userIds.length) return [];
      return db
        .select({ id: qualityFlags.id, userId: qualityFlags.userId })
        .from(qualityFlags)
        .where(and(eq(qualityFlags.projectId, projectId), inArray(qualityFlags.userId, [...userIds]), eq(qualityFlags.status, 'open')));
    },

    /**
     * Ends the session (once: the UPDATE is guarded by the phase). With `training`, in the same
     * transaction, each participant's last blind judgment of each item — from the latest revealed
     * round of that item they submitted in before its reveal — becomes an ordinary submitted
     * judgment with `source = 'calibration'` and the session's rubric version. Judgments submitted
     * after a reveal (made having seen the others') and rounds never revealed are not kept. A
     * participant who already has a judgment of the item (ordinary, imported, draft, or kept from an
     * earlier session) keeps that one: `judgments` holds one row per item and user, so nothing is
     * counted twice. The participant's calibration assignment of the item becomes `submitted`, so the
     * kept judgment fills one of the item's k places like an ordinary one. Returns null when the session
     * had ended already, else how many judgments were kept and how many were not (already judged).
     */
    async end(actorId: string, s: SessionRow, v: { judgmentsUse: 'training' | 'discarded'; publishedVersion: number | null; outcomes: Map<string, 'cleared' | 'kept'>; at: Date }): Promise<{ kept: number; alreadyJudged: number } | null> {
      return db.transaction(async (tx) => {
        const moved = await tx
          .update(calibrationSessions)
          .set({ phase: 'ended', endedAt: v.at, judgmentsUse: v.judgmentsUse, publishedVersion: v.publishedVersion, version: sql`${calibrationSessions.version} + 1` })
          .where(and(eq(calibrationSessions.id, s.id), sql`${calibrationSessions.phase} <> 'ended'`))
          .returning({ id: calibrationSessions.id });
        if (!moved.length) return null;
        let kept = 0;
        let alreadyJudged = 0;
        if (v.judgmentsUse === 'training') {
          const last = sql`
            select distinct on (r.item_id, cj.user_id) r.item_id, cj.user_id, cj.payload, cj.response_order, cj.time_spent_ms, cj.submitted_at
            from ${calibrationJudgments} cj join ${calibrationRounds} r on r.id = cj.round_id
            where cj.session_id = ${s.id} and cj.blind and r.revealed_at is not null
              -- A scoring of a shown writing or a label of a recorded attack judges someone else's work: never kept as one's own.
              and not jsonb_exists(${JSON.stringify(s.subjects ?? {})}::jsonb, r.item_id::text)
              -- Rights as they are now: a participant since removed from the project, or deactivated, gives no training judgment.
              and exists (select 1 from project_members m join users u on u.id = m.user_id where m.project_id = ${s.projectId} and m.user_id = cj.user_id and u.active)
            order by r.item_id, cj.user_id, r.number desc`;
          const candidates = (await tx.execute(sql`select count(*)::int as n from (${last}) c`)) as unknown as { rows: { n: number }[] };
          const inserted = (await tx.execute(sql`
            insert into ${judgments} (project_id, item_id, user_id, assignment_id, status, source, rubric_version, payload, response_order, time_spent_ms, created_at, updated_at, submitted_at)
            select ${s.projectId}, c.item_id, c.user_id, a.id, 'submitted', 'calibration', ${s.rubricVersion}, c.payload, c.response_order, c.time_spent_ms, ${v.at.toISOString()}::timestamptz, ${v.at.toISOString()}::timestamptz, c.submitted_at
            from (${last}) c left join ${assignments} a on a.item_id = c.item_id and a.user_id = c.user_id
            on conflict (item_id, user_id) do nothing
            returning item_id, user_id, submitted_at`)) as unknown as { rows: { item_id: string; user_id: string; submitted_at: string | Date }[] };
          kept = inserted.rows.length;
          alreadyJudged = Number(candidates.rows[0]?.n ?? 0) - kept;
          for (const r of inserted.rows)
            await tx
              .update(assignments)
              .set({ status: 'submitted', submittedAt: new Date(r.submitted_at) })
              .where(and(eq(assignments.itemId, r.item_id), eq(assignments.userId, r.user_id), sql`${assignments.status} <> 'submitted'`));
        }
        for (const [userId, outcome] of v.outcomes)
          await tx
            .update(calibrationParticipants)
            .set({ flagOutcome: outcome })
            .where(and(eq(calibrationParticipants.sessionId, s.id), eq(calibrationParticipants.userId, userId)));
        await audit(tx, { actorId, action: 'calibration.end', projectId: s.projectId, target: s.id, details: { judgments: v.judgmentsUse, kept, alreadyJudged, publishedVersion: v.publishedVersion } });
        return { kept, alreadyJudged };
      });
    },

    /**
     * Submitted ordinary judgments (made in Accord's daily work: `source = 'accord'`, so neither
     * imported ones — model judges come only by import — nor judgments kept from a calibration session)
     * of the project's items that any of `userIds` judged between `from` and `to`, with the other
     * ordinary judgments of those items.
     */
    async ordinaryJudgments(projectId: string, userIds: readonly string[], from: Date, to: Date) {
      if (!userIds.length) return [];
      const ordinary = and(eq(judgments.projectId, projectId), eq(judgments.status, 'submitted'), eq(judgments.source, 'accord'));
      const touched = db
        .select({ id: judgments.itemId })
        .from(judgments)
        .where(and(ordinary, inArray(judgments.userId, [...userIds]), gte(judgments.submittedAt, from), lte(judgments.submittedAt, to)));
      return db
        .select({ itemId: judgments.itemId, userId: judgments.userId, payload: judgments.payload, submittedAt: judgments.submittedAt })
        .from(judgments)
        .where(and(ordinary, inArray(judgments.itemId, touched)))
        .limit(20_000);
    },
  };
}

export type CalibrationRepo = ReturnType<typeof createCalibrationRepo>;
