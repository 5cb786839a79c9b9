/**
 * Assignment and judging. Each item goes to k eligible members (overlap); a member never gets the
 * same item twice; a reservation expires and the item returns to the pool; gold items are mixed in
 * at the project's rate and look like any other item. The k limit holds under concurrency: an item
 * row is locked (FOR UPDATE SKIP LOCKED) while its reservations are counted and one is added, so two
 * requests at the same moment can never both take its last slot.
 */
import { randomInt } from 'node:crypto';
import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import {
  AppError,
  ProjectSettingsSchema,
  RubricSchema,
  describeIssues,
  type DraftPayload,
  type Judgment,
  type JudgmentListQuery,
  type ProjectSettings,
  type QueueNext,
  type QueueProgress,
  type Rubric,
  type SaveDraftBody,
  type SubmitJudgmentBody,
  type Task,
  type TaskKind,
  type UpdateProjectSettingsBody,
} from '@accord/core';
import { assignments, items, judgments, projectMembers, projects, rubricVersions, users, type Db, type Tx } from '@accord/db';
import { audit } from './audit.ts';
import { stableJson } from './imports.ts';
import { canonicalPayload, judgmentIssues } from './judgment-rules.ts';
import type { ProjectAccess } from './projects.ts';

type AssignmentRow = typeof assignments.$inferSelect;
type JudgmentRow = typeof judgments.$inferSelect;

export function readSettings(raw: unknown): ProjectSettings {
  const r = ProjectSettingsSchema.safeParse(raw ?? {});
  return r.success ? r.data : ProjectSettingsSchema.parse({});
}

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Reservations and imported judgments that occupy one of an item's k slots. */
const activeCount = (itemId: SQL | typeof items.id, exceptAssignment?: string) => sql<number>`(
  (select count(*) from ${assignments} a where a.item_id = ${itemId}
     and (a.status = 'submitted' or (a.status = 'reserved' and a.expires_at > now()))
     ${exceptAssignment ? sql`and a.id <> ${exceptAssignment}` : sql``})
  + (select count(*) from ${judgments} j where j.item_id = ${itemId} and j.source = 'import'))::int`;

export function createJudgingService(db: Db) {
  async function latestRubric(projectId: string): Promise<{ version: number; content: Record<string, unknown>; view: Rubric } | null> {
    const [row] = await db.select().from(rubricVersions).where(eq(rubricVersions.projectId, projectId)).orderBy(desc(rubricVersions.version)).limit(1);
    if (!row) return null;
    const view = RubricSchema.safeParse(row.content);
    if (!view.success) throw new AppError('internal', `Rubric version ${row.version} cannot be read for judging.`);
    return { version: row.version, content: row.content, view: view.data };
  }

  async function eligibility(projectId: string, userId: string, s: ProjectSettings): Promise<{ eligible: boolean; reason: string | null }> {
    const [m] = await db.select().from(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
    if (!m) return { eligible: false, reason: 'Only project members receive work.' };
    if (!s.eligibility.roles.includes(m.role)) return { eligible: false, reason: `In this project only ${s.eligibility.roles.join(' and ')}s receive work.` };
    if (m.tier < s.eligibility.minTier) return { eligible: false, reason: `This project needs tier ${s.eligibility.minTier} or higher (you are tier ${m.tier}).` };
    // Member tags are stored lowercase; settings tags may have been typed in any case.
    if (s.eligibility.tags.length && !s.eligibility.tags.some((t) => m.tags.includes(t.toLowerCase())))
      return { eligible: false, reason: `This project needs one of the domains ${s.eligibility.tags.join(', ')}.` };
    return { eligible: true, reason: null };
  }

  /** Items this member could be given now (non-gold, not seen by them, under k). */
  function candidates(tx: Db | Tx, projectId: string, userId: string, k: number, gold: boolean) {
    const conds: SQL[] = [
      eq(items.projectId, projectId),
      eq(items.isGold, gold),
      sql`not exists (select 1 from ${assignments} a where a.item_id = ${items.id} and a.user_id = ${userId})`,
      sql`not exists (select 1 from ${judgments} j where j.item_id = ${items.id} and j.user_id = ${userId})`,
    ];
    if (!gold) conds.push(sql`${activeCount(items.id)} < ${k}`);
    return { cond: and(...conds), from: tx.select({ id: items.id }).from(items) };
  }

  async function progress(projectId: string, userId: string, s: ProjectSettings): Promise<QueueProgress> {
    const el = await eligibility(projectId, userId, s);
    const [done] = await db
      .select({ n: count() })
      .from(judgments)
      .where(and(eq(judgments.projectId, projectId), eq(judgments.userId, userId), eq(judgments.status, 'submitted'), eq(judgments.source, 'accord')));
    const [reserved] = await db
      .select({ n: count() })
      .from(assignments)
      .where(and(eq(assignments.projectId, projectId), eq(assignments.userId, userId), eq(assignments.status, 'reserved'), sql`${assignments.expiresAt} > now()`));
    let available = 0;
    if (el.eligible) {
      const c = candidates(db, projectId, userId, s.overlap, false);
      const [r] = await db.select({ n: count() }).from(items).where(c.cond);
      available = r?.n ?? 0;
    }
    return { done: done?.n ?? 0, reserved: reserved?.n ?? 0, available, ...el };
  }

  async function toTask(a: AssignmentRow, taskKind: TaskKind): Promise<Task> {
    const [item] = await db.select().from(items).where(eq(items.id, a.itemId));
    const [j] = await db.select().from(judgments).where(and(eq(judgments.itemId, a.itemId), eq(judgments.userId, a.userId)));
    const rubric = await latestRubric(a.projectId);
    const byId = new Map(item!.responses.map((r) => [r.id, r]));
    return {
      assignmentId: a.id,
      taskKind,
      item: {
        id: item!.id,
        prompt: item!.prompt,
        context: item!.context,
        responses: a.responseOrder.map((id) => byId.get(id)!).filter(Boolean),
        reference: item!.reference,
      },
      responseOrder: a.responseOrder,
      reservedAt: a.reservedAt.toISOString(),
      expiresAt: a.expiresAt.toISOString(),
      rubric: rubric ? { version: rubric.version, content: rubric.content } : null,
      draft: j && j.status === 'draft' ? (j.payload as DraftPayload) : null,
      timeSpentMs: j?.timeSpentMs ?? 0,
    };
  }

  /** Tries to reserve one item for the member; null when nothing fits. */
  async function reserve(projectId: string, userId: string, s: ProjectSettings, gold: boolean): Promise<AssignmentRow | null> {
    return db.transaction(async (tx) => {
      const skip: string[] = [];
      // First skip items another request is reserving right now; when that leaves nothing, wait for
      // those locks instead, so a trainer asking at the same moment as others still gets work.
      let wait = false;
      for (let attempt = 0; attempt < 40; attempt++) {
        const c = candidates(tx, projectId, userId, s.overlap, gold);
        const cond = skip.length ? and(c.cond, sql`${items.id} not in (${sql.join(skip.map((id) => sql`${id}`), sql`, `)})`) : c.cond;
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
          .values({ projectId, itemId: cand.id, userId, isGold: gold, responseOrder: shuffle(cand.responses.map((r) => r.id)), reservedAt, expiresAt })
          .onConflictDoNothing()
          .returning();
        if (a) return a;
        skip.push(cand.id);
      }
      return null;
    });
  }

  /** The member's open reservation, revived if it expired and its slot is still free. */
  async function resume(projectId: string, userId: string, s: ProjectSettings): Promise<AssignmentRow | null> {
    const open = await db
      .select()
      .from(assignments)
      .where(and(eq(assignments.projectId, projectId), eq(assignments.userId, userId), eq(assignments.status, 'reserved')))
      .orderBy(asc(assignments.reservedAt));
    for (const a of open) {
      if (a.expiresAt > new Date()) return a;
      const revived = await db.transaction(async (tx) => {
        await tx.select({ id: items.id }).from(items).where(eq(items.id, a.itemId)).for('update');
        const [n] = await tx.select({ n: activeCount(sql`${a.itemId}`, a.id) }).from(sql`(select 1) as one`);
        if (!a.isGold && (n?.n ?? 0) >= s.overlap) {
          await tx.update(assignments).set({ status: 'expired' }).where(eq(assignments.id, a.id));
          return null;
        }
        const [row] = await tx
          .update(assignments)
          .set({ expiresAt: new Date(Date.now() + s.reservationMinutes * 60_000) })
          .where(eq(assignments.id, a.id))
          .returning();
        return row ?? null;
      });
      if (revived) return revived;
    }
    return null;
  }

  async function ownAssignment(projectId: string, userId: string, assignmentId: string) {
    const [a] = await db.select().from(assignments).where(and(eq(assignments.id, assignmentId), eq(assignments.projectId, projectId), eq(assignments.userId, userId)));
    // Someone else's assignment is "not found": its existence is not revealed.
    if (!a) throw new AppError('not_found', 'No such assignment of yours in this project.');
    return a;
  }

  function toJudgment(j: JudgmentRow, item: { externalId: string | null; prompt: string }, user: { name: string; email: string }): Judgment {
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

  async function judgmentFor(j: JudgmentRow, showExternalId: boolean): Promise<Judgment> {
    const [it] = await db.select({ externalId: items.externalId, prompt: items.prompt }).from(items).where(eq(items.id, j.itemId));
    const [u] = await db.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, j.userId));
    return toJudgment(j, { externalId: showExternalId ? it!.externalId : null, prompt: it!.prompt.slice(0, 300) }, u!);
  }

  return {
    latestRubric,

    settings: (project: { settings: unknown }) => readSettings(project.settings),

    async updateSettings(actorId: string, a: ProjectAccess, body: UpdateProjectSettingsBody): Promise<ProjectSettings> {
      const cur = readSettings(a.project.settings);
      const next = ProjectSettingsSchema.parse({ ...cur, ...body, eligibility: { ...cur.eligibility, ...(body.eligibility ?? {}) } });
      await db.update(projects).set({ settings: next, updatedAt: new Date() }).where(eq(projects.id, a.project.id));
      await audit(db, { actorId, action: 'project.settings_changed', projectId: a.project.id, details: body });
      return next;
    },

    async progress(a: ProjectAccess, userId: string) {
      return progress(a.project.id, userId, readSettings(a.project.settings));
    },

    /** The member's current task (their open reservation, or a new one), and their progress. */
    async next(a: ProjectAccess, userId: string): Promise<QueueNext> {
      const s = readSettings(a.project.settings);
      const projectId = a.project.id;
      const el = await eligibility(projectId, userId, s);
      if (!el.eligible) return { task: null, progress: await progress(projectId, userId, s) };
      let row = await resume(projectId, userId, s);
      if (!row && s.goldRate > 0 && Math.random() < s.goldRate) row = await reserve(projectId, userId, s, true);
      row ??= await reserve(projectId, userId, s, false);
      return { task: row ? await toTask(row, a.project.taskKind) : null, progress: await progress(projectId, userId, s) };
    },

    async saveDraft(a: ProjectAccess, userId: string, assignmentId: string, body: SaveDraftBody): Promise<{ savedAt: string }> {
      const asg = await ownAssignment(a.project.id, userId, assignmentId);
      if (asg.status !== 'reserved') throw new AppError('conflict', asg.status === 'submitted' ? 'This judgment is already submitted.' : 'This reservation is no longer yours.');
      const time = clampTime(body.timeSpentMs, asg.reservedAt);
      const now = new Date();
      await db
        .insert(judgments)
        .values({ projectId: a.project.id, itemId: asg.itemId, userId, assignmentId, status: 'draft', payload: body.payload, responseOrder: asg.responseOrder, timeSpentMs: time })
        .onConflictDoUpdate({
          target: [judgments.itemId, judgments.userId],
          set: { payload: body.payload, timeSpentMs: time, updatedAt: now },
          setWhere: sql`${judgments.status} = 'draft'`,
        });
      return { savedAt: now.toISOString() };
    },

    /**
     * Validates against the latest published rubric and stores the judgment once: a repeated
     * submission of the same judgment (double click, retry) returns the stored one.
     */
    async submit(a: ProjectAccess, userId: string, assignmentId: string, body: SubmitJudgmentBody): Promise<{ judgment: Judgment; repeated: boolean }> {
      const projectId = a.project.id;
      const s = readSettings(a.project.settings);
      const asg = await ownAssignment(projectId, userId, assignmentId);
      const [item] = await db.select().from(items).where(eq(items.id, asg.itemId));
      const rubric = await latestRubric(projectId);
      const issues = judgmentIssues(body.payload, item!, a.project.taskKind, rubric?.view ?? null);
      const payload = canonicalPayload(body.payload, item!);
      const time = clampTime(body.timeSpentMs, asg.reservedAt);
      const result = await db.transaction(async (tx) => {
        const [cur] = await tx.select().from(assignments).where(eq(assignments.id, asg.id)).for('update');
        const [existing] = await tx.select().from(judgments).where(and(eq(judgments.itemId, asg.itemId), eq(judgments.userId, userId)));
        if (existing?.status === 'submitted') {
          if (stableJson(existing.payload) === stableJson(payload)) return { row: existing, repeated: true };
          throw new AppError('conflict', 'You already submitted a different judgment for this item; judgments cannot be changed after submission.');
        }
        if (issues.length) throw new AppError('validation_failed', describeIssues(issues), issues);
        if (cur!.status === 'released' || cur!.status === 'expired') throw new AppError('conflict', 'This reservation has ended; ask for the next item.');
        if (cur!.expiresAt <= new Date() && !cur!.isGold) {
          await tx.select({ id: items.id }).from(items).where(eq(items.id, asg.itemId)).for('update');
          const [n] = await tx.select({ n: activeCount(sql`${asg.itemId}`, asg.id) }).from(sql`(select 1) as one`);
          if ((n?.n ?? 0) >= s.overlap) {
            await tx.update(assignments).set({ status: 'expired' }).where(eq(assignments.id, asg.id));
            throw new AppError('conflict', 'Your reservation expired and the item went to someone else; your draft was not submitted.');
          }
        }
        const now = new Date();
        const values = {
          projectId,
          itemId: asg.itemId,
          userId,
          assignmentId: asg.id,
          status: 'submitted' as const,
          source: 'accord' as const,
          rubricVersion: rubric?.version ?? null,
          payload,
          responseOrder: asg.responseOrder,
          timeSpentMs: time,
          updatedAt: now,
          submittedAt: now,
        };
        const [row] = await tx
          .insert(judgments)
          .values(values)
          .onConflictDoUpdate({ target: [judgments.itemId, judgments.userId], set: values, setWhere: sql`${judgments.status} = 'draft'` })
          .returning();
        await tx.update(assignments).set({ status: 'submitted', submittedAt: now }).where(eq(assignments.id, asg.id));
        return { row: row!, repeated: false };
      });
      return { judgment: await judgmentFor(result.row, a.role !== 'trainer'), repeated: result.repeated };
    },

    /** Gives a reserved item back to the pool (skip); the member will not get it again. */
    async release(a: ProjectAccess, userId: string, assignmentId: string) {
      const asg = await ownAssignment(a.project.id, userId, assignmentId);
      if (asg.status === 'submitted') throw new AppError('conflict', 'This judgment is already submitted.');
      await db.update(assignments).set({ status: 'released' }).where(and(eq(assignments.id, asg.id), eq(assignments.status, 'reserved')));
      await db.delete(judgments).where(and(eq(judgments.itemId, asg.itemId), eq(judgments.userId, userId), eq(judgments.status, 'draft')));
    },

    /** Trainers see only their own judgments; leads and reviewers see everyone's. */
    async list(a: ProjectAccess, userId: string, q: JudgmentListQuery) {
      const own = a.role === 'trainer' || q.mine === true;
      const where: SQL[] = [eq(judgments.projectId, a.project.id), eq(judgments.status, q.status)];
      if (own) where.push(eq(judgments.userId, userId));
      else if (q.userId) where.push(eq(judgments.userId, q.userId));
      if (q.itemId) where.push(eq(judgments.itemId, q.itemId));
      if (q.source) where.push(eq(judgments.source, q.source));
      if (q.rubricVersion) where.push(eq(judgments.rubricVersion, q.rubricVersion));
      const cond = and(...where);
      const order = q.order === 'asc' ? asc(sql`coalesce(${judgments.submittedAt}, ${judgments.updatedAt})`) : desc(sql`coalesce(${judgments.submittedAt}, ${judgments.updatedAt})`);
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
      const showExternal = a.role !== 'trainer';
      return {
        items: rows.map((r) => toJudgment(r.j, { externalId: showExternal ? r.externalId : null, prompt: r.prompt }, { name: r.name, email: r.email })),
        total: total?.n ?? 0,
        limit: q.limit,
        offset: q.offset,
      };
    },
  };
}

/** Time spent as reported by the client, bounded by the wall time since the reservation. */
function clampTime(ms: number | undefined, reservedAt: Date): number | null {
  if (ms === undefined) return null;
  return Math.min(ms, Date.now() - reservedAt.getTime() + 60_000);
}

export type JudgingService = ReturnType<typeof createJudgingService>;
