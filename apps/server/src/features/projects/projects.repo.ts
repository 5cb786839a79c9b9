/** Projects, members and the item listing in SQL: the only code of the projects feature that speaks to the database. */
import { and, asc, count, desc, eq, gte, ilike, inArray, isNotNull, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { ItemListQuery, Member, ProjectListQuery, ProjectRole } from '@accord/core';
import { consensusLabels, disputes, items, projectMembers, projects, qualityItems, users, type Db, type Tx } from '@accord/db';
import { audit, type AuditEntry } from '../../platform/audit.ts';
import { recordControlEvents, type ControlEvent } from '../../platform/bus.ts';
import type { ProjectRow, ProjectWithRole } from '../../platform/http/context.ts';
import { escapeLike } from '../../platform/sql.ts';
import { toItem, toMember } from './projects.mappers.ts';

const PROJECT_SORT = { name: projects.name, createdAt: projects.createdAt, updatedAt: projects.updatedAt } as const;
const MEMBER_SORT = { name: users.name, email: users.email, role: projectMembers.role, addedAt: projectMembers.createdAt } as const;
/** Item figures are kept by the quality trigger (features/quality); an item without a row has none yet. */
const ITEM_JUDGMENTS = sql<number>`coalesce(${qualityItems.judgments}, 0)`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Submitted judgments of the item that raise a rubric flag (broken, unsafe, …). */
const ITEM_FLAGGED = sql<number>`(select count(*) from judgments j where j.item_id = ${items.id} and j.status = 'submitted'
  and jsonb_typeof(j.payload->'flags') = 'array' and jsonb_array_length(j.payload->'flags') > 0)::integer`;
const ITEM_SORT = { createdAt: items.createdAt, externalId: items.externalId, judgments: ITEM_JUDGMENTS, agreement: qualityItems.agreement, spread: qualityItems.spread, flagged: ITEM_FLAGGED } as const;

export type MemberSort = keyof typeof MEMBER_SORT;
type MemberRow = typeof projectMembers.$inferSelect;

/** Queries that run inside one transaction (member changes lock rows until commit). */
function txRepo(tx: Tx) {
  const memberWhere = (projectId: string, userId: string) => and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId));
  return {
    audit: (entry: AuditEntry) => audit(tx, entry),

    /** Control events of the change, written with it (call last: the bus's ordering lock is held until commit). */
    events: (events: readonly ControlEvent[]) => recordControlEvents(tx, events),

    /** The member row, locked FOR UPDATE. */
    async lockMember(projectId: string, userId: string): Promise<MemberRow | null> {
      const [cur] = await tx.select().from(projectMembers).where(memberWhere(projectId, userId)).for('update');
      return cur ?? null;
    },

    /** Locks every lead row, so two concurrent demotions cannot both see "another lead remains". */
    async lockLeads(projectId: string): Promise<number> {
      const rows = await tx
        .select({ userId: projectMembers.userId })
        .from(projectMembers)
        .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'lead')))
        .for('update');
      return rows.length;
    },

    async setMember(projectId: string, userId: string, set: { role: ProjectRole; tier: number; tags: string[] }) {
      await tx.update(projectMembers).set(set).where(memberWhere(projectId, userId));
    },

    async deleteMember(projectId: string, userId: string) {
      await tx.delete(projectMembers).where(memberWhere(projectId, userId));
    },

    async user(userId: string) {
      const [u] = await tx.select().from(users).where(eq(users.id, userId));
      return u ?? null;
    },
  };
}

export type ProjectsTx = ReturnType<typeof txRepo>;

/** A project with the caller's membership (role, tier, tags, pause, qualification): what access and eligibility read. */
const PROJECT_WITH_MEMBERSHIP = {
  p: projects,
  role: projectMembers.role,
  tier: projectMembers.tier,
  tags: projectMembers.tags,
  pausedAt: projectMembers.pausedAt,
  pauseReason: projectMembers.pauseReason,
  qualifiedAt: projectMembers.qualifiedAt,
};

export function createProjectsRepo(db: Db) {
  const withMember = (userId: string) => and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, userId));

  return {
    audit: (entry: AuditEntry) => audit(db, entry),

    withTx: <T>(fn: (tx: ProjectsTx) => Promise<T>): Promise<T> => db.transaction((tx) => fn(txRepo(tx))),

    /** The project with the caller's membership (role, tier, domain tags), in one query: it runs on every project request. */
    async projectWithRole(projectId: string, userId: string): Promise<ProjectWithRole | null> {
      const [row] = await db
        .select(PROJECT_WITH_MEMBERSHIP)
        .from(projects)
        .leftJoin(projectMembers, withMember(userId))
        .where(eq(projects.id, projectId));
      return row ? { project: row.p, role: row.role, tier: row.tier, tags: row.tags, pausedAt: row.pausedAt, pauseReason: row.pauseReason, qualifiedAt: row.qualifiedAt } : null;
    },

    async leadsCount(userId: string): Promise<number> {
      const [r] = await db.select({ n: count() }).from(projectMembers).where(and(eq(projectMembers.userId, userId), eq(projectMembers.role, 'lead')));
      return r?.n ?? 0;
    },

    async counts(ids: string[]) {
      const out = new Map<string, { members: number; models: number; items: number }>(ids.map((id) => [id, { members: 0, models: 0, items: 0 }]));
      if (ids.length === 0) return out;
      const m = await db
        .select({ id: projectMembers.projectId, kind: projectMembers.kind, n: count() })
        .from(projectMembers)
        .where(inArray(projectMembers.projectId, ids))
        .groupBy(projectMembers.projectId, projectMembers.kind);
      const i = await db.select({ id: items.projectId, n: count() }).from(items).where(inArray(items.projectId, ids)).groupBy(items.projectId);
      for (const r of m) out.get(r.id)![r.kind === 'model' ? 'models' : 'members'] = r.n;
      for (const r of i) out.get(r.id)!.items = r.n;
      return out;
    },

    async page(user: { id: string; isAdmin: boolean }, q: ProjectListQuery) {
      const where: SQL[] = [];
      if (q.q) where.push(ilike(projects.name, `%${escapeLike(q.q)}%`));
      if (q.status === 'active') where.push(isNull(projects.archivedAt));
      if (q.status === 'archived') where.push(isNotNull(projects.archivedAt));
      if (!user.isAdmin) where.push(isNotNull(projectMembers.role));
      const cond = and(...where);
      const order = q.order === 'asc' ? asc(PROJECT_SORT[q.sort]) : desc(PROJECT_SORT[q.sort]);
      const base = db
        .select(PROJECT_WITH_MEMBERSHIP)
        .from(projects)
        .leftJoin(projectMembers, withMember(user.id));
      const rows = await base.where(cond).orderBy(order, asc(projects.id)).limit(q.limit).offset(q.offset);
      const [total] = await db.select({ n: count() }).from(projects).leftJoin(projectMembers, withMember(user.id)).where(cond);
      return { rows: rows.map((r): ProjectWithRole => ({ project: r.p, role: r.role, tier: r.tier, tags: r.tags, pausedAt: r.pausedAt, pauseReason: r.pauseReason, qualifiedAt: r.qualifiedAt })), total: total?.n ?? 0 };
    },

    /** A new project with its creator as lead, audited: one transaction. */
    async create(actorId: string, values: Omit<typeof projects.$inferInsert, 'createdBy'>): Promise<ProjectRow> {
      return db.transaction(async (tx) => {
        const [p] = await tx.insert(projects).values({ ...values, createdBy: actorId }).returning();
        await tx.insert(projectMembers).values({ projectId: p!.id, userId: actorId, role: 'lead' });
        await audit(tx, { actorId, action: 'project.created', projectId: p!.id, details: { name: p!.name } });
        return p!;
      });
    },

    /** Updates the project and records the control events of the change in the same transaction. */
    async update(projectId: string, set: Partial<typeof projects.$inferInsert>, events: readonly ControlEvent[] = []): Promise<ProjectRow> {
      return db.transaction(async (tx) => {
        const [row] = await tx.update(projects).set(set).where(eq(projects.id, projectId)).returning();
        await recordControlEvents(tx, events);
        return row!;
      });
    },

    async touch(projectId: string) {
      await db.update(projects).set({ updatedAt: new Date() }).where(eq(projects.id, projectId));
    },

    async members(projectId: string, q: { role?: ProjectRole | undefined; calibration?: boolean | undefined; paused?: boolean | undefined; sort: MemberSort; order: 'asc' | 'desc' }): Promise<Member[]> {
      const where: SQL[] = [eq(projectMembers.projectId, projectId)];
      if (q.role) where.push(eq(projectMembers.role, q.role));
      if (q.calibration !== undefined) where.push(q.calibration ? isNotNull(projectMembers.calibrationAt) : isNull(projectMembers.calibrationAt));
      if (q.paused !== undefined) where.push(q.paused ? isNotNull(projectMembers.pausedAt) : isNull(projectMembers.pausedAt));
      const order = q.order === 'asc' ? asc(MEMBER_SORT[q.sort]) : desc(MEMBER_SORT[q.sort]);
      const rows = await db
        .select({
          userId: users.id,
          email: users.email,
          name: users.name,
          role: projectMembers.role,
          active: users.active,
          createdAt: projectMembers.createdAt,
          tier: projectMembers.tier,
          tags: projectMembers.tags,
          kind: projectMembers.kind,
          pausedAt: projectMembers.pausedAt,
          pauseReason: projectMembers.pauseReason,
          pausedBy: projectMembers.pausedBy,
          calibrationAt: projectMembers.calibrationAt,
          calibrationNote: projectMembers.calibrationNote,
          calibrationBy: projectMembers.calibrationBy,
          qualifiedAt: projectMembers.qualifiedAt,
        })
        .from(projectMembers)
        .innerJoin(users, eq(users.id, projectMembers.userId))
        .where(and(...where))
        .orderBy(order, asc(users.email));
      return rows.map(toMember);
    },

    async member(projectId: string, userId: string): Promise<MemberRow | null> {
      const [m] = await db.select().from(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
      return m ?? null;
    },

    async membershipsOf(userId: string): Promise<{ projectId: string; role: ProjectRole }[]> {
      return db.select({ projectId: projectMembers.projectId, role: projectMembers.role }).from(projectMembers).where(eq(projectMembers.userId, userId));
    },

    async userByEmail(email: string) {
      const [u] = await db.select().from(users).where(eq(users.email, email));
      return u ?? null;
    },

    /** Adds a member unless they already are one; null when they are. */
    async insertMember(projectId: string, userId: string, role: ProjectRole, kind: 'human' | 'model' = 'human'): Promise<MemberRow | null> {
      const [row] = await db.insert(projectMembers).values({ projectId, userId, role, kind }).onConflictDoNothing().returning();
      return row ?? null;
    },

    async itemPage(projectId: string, q: ItemListQuery, showGold: boolean) {
      return itemPageOf(projectId, q, showGold);
    },
  };

  /**
   * The ids of a page sorted by agreement or spread (figure, then the item's position): first the items
   * with the figure, then those without (last either way, in the file's order). No figure is indexed
   * (migration 0035: a submit's update of its item's figures stays heap-only), so the first part sorts
   * the project's figured items (about 0.25 s at 200,000 items).
   */
  async function figurePage(projectId: string, q: ItemListQuery, cond: SQL | undefined, currentLabel: SQL | undefined, openDispute: SQL | undefined): Promise<string[]> {
    const key = q.sort === 'agreement' ? qualityItems.agreement : qualityItems.spread;
    const joined = () =>
      db
        .select({ id: items.id })
        .from(qualityItems)
        .innerJoin(items, eq(items.id, qualityItems.itemId))
        .leftJoin(consensusLabels, currentLabel)
        .leftJoin(disputes, openDispute)
        .$dynamic();
    const withFigure = and(cond, eq(qualityItems.projectId, projectId), isNotNull(key));
    const first = await joined()
      .where(withFigure)
      .orderBy(q.order === 'asc' ? sql`${key} asc nulls last` : sql`${key} desc nulls last`, asc(qualityItems.position), asc(items.externalId))
      .limit(q.limit)
      .offset(q.offset);
    const ids = first.map((r) => r.id);
    if (ids.length === q.limit) return ids;
    // The page reaches past the items with the figure: count those, then continue with the rest.
    const [n] = await db
      .select({ n: count() })
      .from(qualityItems)
      .innerJoin(items, eq(items.id, qualityItems.itemId))
      .leftJoin(consensusLabels, currentLabel)
      .leftJoin(disputes, openDispute)
      .where(withFigure);
    const figured = n?.n ?? 0;
    const rest = await db
      .select({ id: items.id })
      .from(items)
      .leftJoin(qualityItems, eq(qualityItems.itemId, items.id))
      .leftJoin(consensusLabels, currentLabel)
      .leftJoin(disputes, openDispute)
      .where(and(cond, isNull(key)))
      .orderBy(asc(items.position), asc(items.externalId))
      .limit(q.limit - ids.length)
      .offset(Math.max(0, q.offset - figured));
    return [...ids, ...rest.map((r) => r.id)];
  }

  async function itemPageOf(projectId: string, q: ItemListQuery, showGold: boolean) {
    const where: SQL[] = [eq(items.projectId, projectId)];
    // An item id finds its item (quality flags link to the items they name).
    if (q.q) where.push(or(ilike(items.prompt, `%${escapeLike(q.q)}%`), ilike(items.externalId, `%${escapeLike(q.q)}%`), ...(UUID.test(q.q) ? [eq(items.id, q.q.toLowerCase())] : []))!);
    if (q.gold) where.push(q.gold === 'with' ? isNotNull(items.gold) : isNull(items.gold));
    if (q.minJudgments !== undefined) where.push(gte(ITEM_JUDGMENTS, q.minJudgments));
    if (q.maxJudgments !== undefined) where.push(lte(ITEM_JUDGMENTS, q.maxJudgments));
    if (q.minAgreement !== undefined) where.push(gte(qualityItems.agreement, q.minAgreement));
    if (q.maxAgreement !== undefined) where.push(lte(qualityItems.agreement, q.maxAgreement));
    if (q.minSpread !== undefined) where.push(gte(qualityItems.spread, q.minSpread));
    if (q.maxSpread !== undefined) where.push(lte(qualityItems.spread, q.maxSpread));
    if (q.status === 'consensus') where.push(isNotNull(consensusLabels.id));
    if (q.status === 'disputed') where.push(isNotNull(disputes.id));
    if (q.flagged) where.push(q.flagged === 'with' ? sql`${ITEM_FLAGGED} > 0` : sql`${ITEM_FLAGGED} = 0`);
    const cond = and(...where);
    const key = ITEM_SORT[q.sort];
    // Items without a figure sort last either way.
    const order = q.order === 'asc' ? sql`${key} asc nulls last` : sql`${key} desc nulls last`;
    // At most one current label and one open dispute per item: the joins match the partial unique
    // indexes (consensus_labels_current_uq, disputes_open_item_uq), so they add no rows.
    const currentLabel = and(eq(consensusLabels.itemId, items.id), isNull(consensusLabels.supersededAt));
    const openDispute = and(eq(disputes.itemId, items.id), eq(disputes.status, 'open'));
    // Items created together (one import batch) keep the file's order.
    const figure = q.sort === 'agreement' || q.sort === 'spread' ? await figurePage(projectId, q, cond, currentLabel, openDispute) : null;
    const rows = await db
      .select({
        item: items,
        judgments: ITEM_JUDGMENTS,
        agreement: qualityItems.agreement,
        spread: qualityItems.spread,
        labelId: consensusLabels.id,
        method: consensusLabels.method,
        disputeId: disputes.id,
        reason: disputes.reason,
        flagged: ITEM_FLAGGED,
      })
      .from(items)
      .leftJoin(qualityItems, eq(qualityItems.itemId, items.id))
      .leftJoin(consensusLabels, currentLabel)
      .leftJoin(disputes, openDispute)
      .where(figure ? inArray(items.id, figure) : cond)
      .orderBy(order, asc(items.position), asc(items.externalId))
      .limit(q.limit)
      .offset(figure ? 0 : q.offset);
    let counted = db.select({ n: count() }).from(items).leftJoin(qualityItems, eq(qualityItems.itemId, items.id)).$dynamic();
    if (q.status === 'consensus') counted = counted.leftJoin(consensusLabels, currentLabel);
    if (q.status === 'disputed') counted = counted.leftJoin(disputes, openDispute);
    const [total] = await counted.where(cond);
    return {
      items: rows.map((r) =>
        toItem(r.item, showGold, {
          judgments: Number(r.judgments),
          agreement: r.agreement,
          spread: r.spread,
          consensus: r.labelId && r.method ? { labelId: r.labelId, method: r.method } : null,
          dispute: r.disputeId && r.reason ? { id: r.disputeId, reason: r.reason } : null,
          flagged: Number(r.flagged),
        }),
      ),
      total: total?.n ?? 0,
    };
  }
}

export type ProjectsRepo = ReturnType<typeof createProjectsRepo>;
