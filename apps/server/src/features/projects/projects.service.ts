/** Projects and their members: who may see and change what, the last-lead rule, and the events live sockets act on. */
import {
  AppError,
  type CreateProjectBody,
  type ItemListQuery,
  type ProjectListQuery,
  type ProjectRole,
  type UpdateMemberBody,
  type UpdateProjectBody,
} from '@accord/core';
import type { Bus, ControlEvent } from '../../platform/bus.ts';
import type { ProjectAccess, ProjectLookup, ProjectRow, ProjectWithRole } from '../../platform/http/context.ts';
import { toMember, toProject } from './projects.mappers.ts';
import type { MemberSort, ProjectsRepo } from './projects.repo.ts';

export type { ProjectAccess, ProjectRow } from '../../platform/http/context.ts';

/** A member's access to a project read with their membership row. */
function accessOf(row: ProjectWithRole): ProjectAccess | null {
  if (!row.role) return null;
  const paused = row.pausedAt ? { at: row.pausedAt, reason: row.pauseReason ?? '' } : null;
  return { project: row.project, role: row.role, member: true, membership: { tier: row.tier ?? 1, tags: row.tags ?? [], paused, qualifiedAt: row.qualifiedAt ?? null } };
}

/**
 * `settleQuality`: brings the project's quality figures up to every judgment stored so far (the
 * quality feature's drain of refreshes submits left pending); the item list shows and sorts by them.
 */
/**
 * An admin acts as lead in every project; as a member with a lower role they would lose that
 * oversight there. Only an admin may give an admin a lower role (a lead could otherwise hide a
 * project's exports, settings and figures from the admins).
 */
const adminKeepsLead = () =>
  new AppError('forbidden', 'This user is an admin: only an admin may give them a role below lead in a project.', [{ path: 'body.role', message: 'an admin is lead unless an admin decides otherwise' }]);

export function createProjectService(repo: ProjectsRepo, bus: Bus, settleQuality: (projectId: string) => Promise<void> = async () => undefined) {
  async function get(a: ProjectAccess) {
    const c = await repo.counts([a.project.id]);
    return toProject(a.project, a.role, c.get(a.project.id)!);
  }

  return {
    /**
     * Access check used by every project route: null means "do not reveal that it exists". `lookup`
     * is the project as read with the caller's credential (same query), used when it is this project.
     */
    async access(user: { id: string; isAdmin: boolean }, projectId: string, lookup?: ProjectLookup): Promise<ProjectAccess | null> {
      const row = lookup && lookup.projectId === projectId ? lookup.row : await repo.projectWithRole(projectId, user.id);
      if (!row) return null;
      if (row.role) return accessOf(row);
      if (user.isAdmin) return { project: row.project, role: 'lead', member: false, membership: null };
      return null;
    },

    async canCreate(user: { id: string; isAdmin: boolean }) {
      if (user.isAdmin) return true;
      return (await repo.leadsCount(user.id)) > 0;
    },

    /** `work`: whether a member receives work in a project and why not (from the judging feature). */
    async list(user: { id: string; isAdmin: boolean }, q: ProjectListQuery, work?: (a: ProjectAccess) => { eligible: boolean; reason: string | null }) {
      const { rows, total } = await repo.page(user, q);
      const c = await repo.counts(rows.map((r) => r.project.id));
      return {
        items: rows.map((r) => {
          const a = accessOf(r);
          return { ...toProject(r.project, r.role ?? 'lead', c.get(r.project.id)!), work: a && work ? work(a) : null };
        }),
        total,
        limit: q.limit,
        offset: q.offset,
      };
    },

    get,

    async create(actor: { id: string; isAdmin: boolean }, body: CreateProjectBody) {
      const row = await repo.create(actor.id, body);
      return toProject(row, 'lead', { members: 1, models: 0, items: 0 });
    },

    async update(actorId: string, a: ProjectAccess, body: UpdateProjectBody) {
      const { archived, ...rest } = body;
      const set: Partial<ProjectRow> = { ...rest, updatedAt: new Date() };
      if (archived !== undefined) set.archivedAt = archived ? (a.project.archivedAt ?? new Date()) : null;
      // Archiving freezes the project's live documents on every node (the event is written with the change).
      const events: ControlEvent[] = archived !== undefined && archived !== (a.project.archivedAt !== null) ? [{ name: 'project:archived', payload: { projectId: a.project.id, archived } }] : [];
      const row = await repo.update(a.project.id, set, events);
      await bus.applyPending();
      await repo.audit({ actorId, action: 'project.updated', projectId: a.project.id, details: body });
      return get({ ...a, project: row });
    },

    members: (projectId: string, q: { role?: ProjectRole | undefined; calibration?: boolean | undefined; paused?: boolean | undefined; sort: MemberSort; order: 'asc' | 'desc' }) => repo.members(projectId, q),

    /** A member's row (role, tier, domain tags), or null for non-members. */
    member: (projectId: string, userId: string) => repo.member(projectId, userId),

    /** The user's project roles. */
    membershipsOf: (userId: string) => repo.membershipsOf(userId),

    /** Makes the user a member with this role and kind unless they already are one (imports add annotators as trainers, model judges as models). */
    async ensureMember(projectId: string, userId: string, role: ProjectRole, kind: 'human' | 'model' = 'human'): Promise<void> {
      await repo.insertMember(projectId, userId, role, kind);
    },

    async addMember(actorId: string, projectId: string, email: string, role: ProjectRole, actorIsAdmin = false) {
      const u = await repo.userByEmail(email);
      if (!u) throw new AppError('not_found', 'No user with this email. An admin must create the account first.', [{ path: 'body.email', message: 'no user with this email' }]);
      if (u.isAdmin && role !== 'lead' && !actorIsAdmin) throw adminKeepsLead();
      const row = await repo.insertMember(projectId, u.id, role);
      if (!row) throw new AppError('conflict', 'This user is already a member of the project.', [{ path: 'body.email', message: 'is already a member' }]);
      await repo.touch(projectId);
      await repo.audit({ actorId, action: 'member.added', projectId, target: u.id, details: { role } });
      return toMember({ userId: u.id, email: u.email, name: u.name, role, active: u.active, createdAt: row.createdAt, tier: row.tier, tags: row.tags, kind: row.kind });
    },

    /** Role, tier and domain tags; a field left out keeps its value. */
    async updateMember(actorId: string, projectId: string, userId: string, body: UpdateMemberBody, actorIsAdmin = false) {
      const member = await repo.withTx(async (tx) => {
        const cur = await tx.lockMember(projectId, userId);
        if (!cur) throw new AppError('not_found', 'This user is not a member of the project.');
        const role = body.role ?? cur.role;
        if (role !== 'lead' && role !== cur.role && !actorIsAdmin && (await tx.user(userId))?.isAdmin) throw adminKeepsLead();
        if (cur.role === 'lead' && role !== 'lead' && (await tx.lockLeads(projectId)) <= 1)
          throw new AppError('conflict', 'A project needs at least one lead.', [{ path: 'body.role', message: 'the last lead cannot be demoted' }]);
        const tier = body.tier ?? cur.tier;
        const tags = body.tags ?? cur.tags;
        await tx.setMember(projectId, userId, { role, tier, tags });
        if (role !== cur.role) await tx.audit({ actorId, action: 'member.role_changed', projectId, target: userId, details: { from: cur.role, to: role } });
        if (tier !== cur.tier || tags.join('\n') !== cur.tags.join('\n'))
          await tx.audit({ actorId, action: 'member.eligibility_changed', projectId, target: userId, details: { from: { tier: cur.tier, tags: cur.tags }, to: { tier, tags } } });
        const u = await tx.user(userId);
        // Written with the change; every node applies them after the commit, reading the new role.
        const events: ControlEvent[] = [];
        if (role !== cur.role) events.push({ name: 'member:role-changed', payload: { projectId, userId, role } });
        if (tier !== cur.tier || tags.join('\n') !== cur.tags.join('\n')) events.push({ name: 'member:eligibility-changed', payload: { projectId, userId, tier } });
        await tx.events(events);
        return toMember({ ...cur, userId, email: u!.email, name: u!.name, role, active: u!.active, createdAt: cur.createdAt, tier, tags, kind: cur.kind });
      });
      await bus.applyPending();
      return member;
    },

    async removeMember(actorId: string, projectId: string, userId: string) {
      await repo.withTx(async (tx) => {
        const cur = await tx.lockMember(projectId, userId);
        if (!cur) throw new AppError('not_found', 'This user is not a member of the project.');
        if (cur.role === 'lead' && (await tx.lockLeads(projectId)) <= 1) throw new AppError('conflict', 'A project needs at least one lead: make someone else lead first.');
        await tx.deleteMember(projectId, userId);
        await tx.audit({ actorId, action: 'member.removed', projectId, target: userId, details: { role: cur.role } });
        await tx.events([{ name: 'member:removed', payload: { projectId, userId } }]);
      });
      await bus.applyPending();
    },

    async items(projectId: string, q: ItemListQuery, showGold: boolean) {
      if (q.gold && !showGold) throw new AppError('forbidden', 'Only leads see which items are gold.', [{ path: 'query.gold', message: 'only leads may filter by gold' }]);
      await settleQuality(projectId);
      const page = await repo.itemPage(projectId, q, showGold);
      return { ...page, limit: q.limit, offset: q.offset };
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
