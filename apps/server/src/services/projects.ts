import { and, asc, count, desc, eq, ilike, inArray, isNotNull, isNull, or, type SQL } from 'drizzle-orm';
import {
  AppError,
  type CreateProjectBody,
  type ItemListQuery,
  type ProjectListQuery,
  type ProjectRole,
  type UpdateMemberBody,
  type UpdateProjectBody,
} from '@accord/core';
import { items, projectMembers, projects, users, type Db } from '@accord/db';
import { audit } from './audit.ts';
import { toItem, toMember, toProject } from './mappers.ts';
import { escapeLike } from './users.ts';
import type { Events } from './events.ts';

const PROJECT_SORT = { name: projects.name, createdAt: projects.createdAt, updatedAt: projects.updatedAt } as const;
const MEMBER_SORT = { name: users.name, email: users.email, role: projectMembers.role, addedAt: projectMembers.createdAt } as const;
const ITEM_SORT = { createdAt: items.createdAt, externalId: items.externalId } as const;

export type ProjectRow = typeof projects.$inferSelect;

export interface ProjectAccess {
  project: ProjectRow;
  /** Effective role; an admin who is not a member acts as lead. */
  role: ProjectRole;
  member: boolean;
}

export function createProjectService(db: Db, events: Events) {
  async function counts(ids: string[]) {
    const out = new Map<string, { members: number; items: number }>(ids.map((id) => [id, { members: 0, items: 0 }]));
    if (ids.length === 0) return out;
    const m = await db.select({ id: projectMembers.projectId, n: count() }).from(projectMembers).where(inArray(projectMembers.projectId, ids)).groupBy(projectMembers.projectId);
    const i = await db.select({ id: items.projectId, n: count() }).from(items).where(inArray(items.projectId, ids)).groupBy(items.projectId);
    for (const r of m) out.get(r.id)!.members = r.n;
    for (const r of i) out.get(r.id)!.items = r.n;
    return out;
  }

  async function leadCount(projectId: string) {
    const [r] = await db.select({ n: count() }).from(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'lead')));
    return r?.n ?? 0;
  }

  return {
    /** Access check used by every project route: null means "do not reveal that it exists". */
    async access(user: { id: string; isAdmin: boolean }, projectId: string): Promise<ProjectAccess | null> {
      const [row] = await db
        .select({ p: projects, role: projectMembers.role })
        .from(projects)
        .leftJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, user.id)))
        .where(eq(projects.id, projectId));
      if (!row) return null;
      if (row.role) return { project: row.p, role: row.role, member: true };
      if (user.isAdmin) return { project: row.p, role: 'lead', member: false };
      return null;
    },

    async canCreate(user: { id: string; isAdmin: boolean }) {
      if (user.isAdmin) return true;
      const [r] = await db.select({ n: count() }).from(projectMembers).where(and(eq(projectMembers.userId, user.id), eq(projectMembers.role, 'lead')));
      return (r?.n ?? 0) > 0;
    },

    async list(user: { id: string; isAdmin: boolean }, q: ProjectListQuery) {
      const where: SQL[] = [];
      if (q.q) where.push(ilike(projects.name, `%${escapeLike(q.q)}%`));
      if (q.status === 'active') where.push(isNull(projects.archivedAt));
      if (q.status === 'archived') where.push(isNotNull(projects.archivedAt));
      if (!user.isAdmin) where.push(isNotNull(projectMembers.role));
      const cond = and(...where);
      const order = q.order === 'asc' ? asc(PROJECT_SORT[q.sort]) : desc(PROJECT_SORT[q.sort]);
      const base = db
        .select({ p: projects, role: projectMembers.role })
        .from(projects)
        .leftJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, user.id)));
      const rows = await base.where(cond).orderBy(order, asc(projects.id)).limit(q.limit).offset(q.offset);
      const [total] = await db
        .select({ n: count() })
        .from(projects)
        .leftJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, user.id)))
        .where(cond);
      const c = await counts(rows.map((r) => r.p.id));
      return {
        items: rows.map((r) => toProject(r.p, r.role ?? 'lead', c.get(r.p.id)!)),
        total: total?.n ?? 0,
        limit: q.limit,
        offset: q.offset,
      };
    },

    async get(a: ProjectAccess) {
      const c = await counts([a.project.id]);
      return toProject(a.project, a.role, c.get(a.project.id)!);
    },

    async create(actor: { id: string; isAdmin: boolean }, body: CreateProjectBody) {
      const row = await db.transaction(async (tx) => {
        const [p] = await tx.insert(projects).values({ ...body, createdBy: actor.id }).returning();
        await tx.insert(projectMembers).values({ projectId: p!.id, userId: actor.id, role: 'lead' });
        await audit(tx, { actorId: actor.id, action: 'project.created', projectId: p!.id, details: { name: p!.name } });
        return p!;
      });
      return toProject(row, 'lead', { members: 1, items: 0 });
    },

    async update(actorId: string, a: ProjectAccess, body: UpdateProjectBody) {
      const { archived, ...rest } = body;
      const set: Partial<typeof projects.$inferInsert> = { ...rest, updatedAt: new Date() };
      if (archived !== undefined) set.archivedAt = archived ? (a.project.archivedAt ?? new Date()) : null;
      const [row] = await db.update(projects).set(set).where(eq(projects.id, a.project.id)).returning();
      await audit(db, { actorId, action: 'project.updated', projectId: a.project.id, details: body });
      if (archived !== undefined && archived !== (a.project.archivedAt !== null)) events.emit('project:archived', { projectId: a.project.id, archived });
      return this.get({ ...a, project: row! });
    },

    async members(projectId: string, q: { role?: ProjectRole | undefined; sort: keyof typeof MEMBER_SORT; order: 'asc' | 'desc' }) {
      const where: SQL[] = [eq(projectMembers.projectId, projectId)];
      if (q.role) where.push(eq(projectMembers.role, q.role));
      const order = q.order === 'asc' ? asc(MEMBER_SORT[q.sort]) : desc(MEMBER_SORT[q.sort]);
      const rows = await db
        .select({ userId: users.id, email: users.email, name: users.name, role: projectMembers.role, active: users.active, createdAt: projectMembers.createdAt, tier: projectMembers.tier, tags: projectMembers.tags })
        .from(projectMembers)
        .innerJoin(users, eq(users.id, projectMembers.userId))
        .where(and(...where))
        .orderBy(order, asc(users.email));
      return rows.map(toMember);
    },

    async addMember(actorId: string, projectId: string, email: string, role: ProjectRole) {
      const [u] = await db.select().from(users).where(eq(users.email, email));
      if (!u) throw new AppError('not_found', 'No user with this email. An admin must create the account first.', [{ path: 'body.email', message: 'no user with this email' }]);
      const [row] = await db.insert(projectMembers).values({ projectId, userId: u.id, role }).onConflictDoNothing().returning();
      if (!row) throw new AppError('conflict', 'This user is already a member of the project.', [{ path: 'body.email', message: 'is already a member' }]);
      await db.update(projects).set({ updatedAt: new Date() }).where(eq(projects.id, projectId));
      await audit(db, { actorId, action: 'member.added', projectId, target: u.id, details: { role } });
      return toMember({ userId: u.id, email: u.email, name: u.name, role, active: u.active, createdAt: row.createdAt, tier: row.tier, tags: row.tags });
    },

    /** Role, tier and domain tags; a field left out keeps its value. */
    async updateMember(actorId: string, projectId: string, userId: string, body: UpdateMemberBody) {
      const member = await db.transaction(async (tx) => {
        const [cur] = await tx.select().from(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId))).for('update');
        if (!cur) throw new AppError('not_found', 'This user is not a member of the project.');
        const role = body.role ?? cur.role;
        if (cur.role === 'lead' && role !== 'lead' && (await leadCountTx(tx, projectId)) <= 1)
          throw new AppError('conflict', 'A project needs at least one lead.', [{ path: 'body.role', message: 'the last lead cannot be demoted' }]);
        const tier = body.tier ?? cur.tier;
        const tags = body.tags ?? cur.tags;
        await tx.update(projectMembers).set({ role, tier, tags }).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
        if (role !== cur.role) await audit(tx, { actorId, action: 'member.role_changed', projectId, target: userId, details: { from: cur.role, to: role } });
        if (tier !== cur.tier || tags.join('\n') !== cur.tags.join('\n'))
          await audit(tx, { actorId, action: 'member.eligibility_changed', projectId, target: userId, details: { from: { tier: cur.tier, tags: cur.tags }, to: { tier, tags } } });
        const [u] = await tx.select().from(users).where(eq(users.id, userId));
        return toMember({ userId, email: u!.email, name: u!.name, role, active: u!.active, createdAt: cur.createdAt, tier, tags });
      });
      // After the commit, so listeners (live documents re-checking access) read the new role.
      if (body.role !== undefined) events.emit('member:role-changed', { projectId, userId, role: member.role });
      return member;
    },

    async removeMember(actorId: string, projectId: string, userId: string) {
      await db.transaction(async (tx) => {
        const [cur] = await tx.select().from(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId))).for('update');
        if (!cur) throw new AppError('not_found', 'This user is not a member of the project.');
        if (cur.role === 'lead' && (await leadCountTx(tx, projectId)) <= 1)
          throw new AppError('conflict', 'A project needs at least one lead: make someone else lead first.');
        await tx.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
        await audit(tx, { actorId, action: 'member.removed', projectId, target: userId, details: { role: cur.role } });
      });
      events.emit('member:removed', { projectId, userId });
    },

    leadCount,

    async items(projectId: string, q: ItemListQuery, showGold: boolean) {
      const where: SQL[] = [eq(items.projectId, projectId)];
      if (q.q) where.push(or(ilike(items.prompt, `%${escapeLike(q.q)}%`), ilike(items.externalId, `%${escapeLike(q.q)}%`))!);
      const cond = and(...where);
      const order = q.order === 'asc' ? asc(ITEM_SORT[q.sort]) : desc(ITEM_SORT[q.sort]);
      // Items created together (one import batch) keep the file's order.
      const rows = await db.select().from(items).where(cond).orderBy(order, asc(items.position), asc(items.externalId)).limit(q.limit).offset(q.offset);
      const [total] = await db.select({ n: count() }).from(items).where(cond);
      return { items: rows.map((r) => toItem(r, showGold)), total: total?.n ?? 0, limit: q.limit, offset: q.offset };
    },
  };
}

async function leadCountTx(tx: Parameters<Parameters<Db['transaction']>[0]>[0], projectId: string) {
  // Locks every lead row, so two concurrent demotions cannot both see "another lead remains".
  const rows = await tx
    .select({ userId: projectMembers.userId })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'lead')))
    .for('update');
  return rows.length;
}

export type ProjectService = ReturnType<typeof createProjectService>;
