/** Sessions and API tokens in SQL: the only code of the auth feature that speaks to the database. */
import { and, eq, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { ApiToken } from '@accord/core';
import { apiTokens, projectMembers, projects, serverKeys, sessions, users, type Db } from '@accord/db';
import { audit, type AuditEntry } from '../../platform/audit.ts';
import type { ProjectWithRole } from '../../platform/http/context.ts';

type TokenRow = typeof apiTokens.$inferSelect;

const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function toApiToken(t: TokenRow): ApiToken {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: isoOrNull(t.lastUsedAt),
    expiresAt: isoOrNull(t.expiresAt),
    revokedAt: isoOrNull(t.revokedAt),
  };
}

type UserRow = typeof users.$inferSelect;
type SessionRow = typeof sessions.$inferSelect;

/** The project part of a credential read with `projectId`: the project and the user's membership. */
function projectPart(r: { p: ProjectWithRole['project'] | null; role: ProjectWithRole['role']; tier: number | null; tags: string[] | null; pausedAt: Date | null; pauseReason: string | null; qualifiedAt: Date | null }): ProjectWithRole | null {
  return r.p ? { project: r.p, role: r.role, tier: r.tier, tags: r.tags, pausedAt: r.pausedAt, pauseReason: r.pauseReason, qualifiedAt: r.qualifiedAt } : null;
}

export function createAuthRepo(db: Db) {
  // The credential lookups run on every API request: prepared once (named statements on PostgreSQL,
  // parsed and planned once per connection), with and without the project of a project route.
  const member = and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, users.id));
  const projectCols = {
    p: projects,
    role: projectMembers.role,
    tier: projectMembers.tier,
    tags: projectMembers.tags,
    pausedAt: projectMembers.pausedAt,
    pauseReason: projectMembers.pauseReason,
    qualifiedAt: projectMembers.qualifiedAt,
  };
  const tokenQ = db
    .select({ t: apiTokens, u: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, sql.placeholder('hash')), isNull(apiTokens.revokedAt)))
    .prepare('accord_auth_token');
  const tokenProjectQ = db
    .select({ t: apiTokens, u: users, ...projectCols })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .leftJoin(projects, eq(projects.id, sql.placeholder('projectId')))
    .leftJoin(projectMembers, member)
    .where(and(eq(apiTokens.tokenHash, sql.placeholder('hash')), isNull(apiTokens.revokedAt)))
    .prepare('accord_auth_token_project');
  const sessionQ = db.select({ s: sessions, u: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.id, sql.placeholder('id'))).prepare('accord_auth_session');
  const sessionProjectQ = db
    .select({ s: sessions, u: users, ...projectCols })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(projects, eq(projects.id, sql.placeholder('projectId')))
    .leftJoin(projectMembers, member)
    .where(eq(sessions.id, sql.placeholder('id')))
    .prepare('accord_auth_session_project');

  return {
    audit: (entry: AuditEntry) => audit(db, entry),

    async userByEmail(email: string) {
      const [user] = await db.select().from(users).where(eq(users.email, email));
      return user ?? null;
    },

    /** A named server secret, created with `fresh` by whichever node asks first; every node then reads the same one. */
    async serverKey(name: string, fresh: string): Promise<string> {
      await db.insert(serverKeys).values({ name, value: fresh }).onConflictDoNothing({ target: serverKeys.name });
      const [row] = await db.select({ value: serverKeys.value }).from(serverKeys).where(eq(serverKeys.name, name));
      if (!row) throw new Error(`server key ${name} vanished`);
      return row.value;
    },

    async insertSession(s: { id: string; userId: string; createdAt: Date; lastSeenAt: Date; expiresAt: Date; userAgent: string | null }) {
      await db.insert(sessions).values(s);
    },

    async deleteSession(id: string) {
      await db.delete(sessions).where(eq(sessions.id, id));
    },

    /** Ends all sessions of a user except, optionally, one. */
    async deleteSessionsOf(userId: string, exceptSessionId?: string) {
      await db
        .delete(sessions)
        .where(exceptSessionId ? and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId)) : eq(sessions.userId, userId));
    },

    /** The session and its user; with `projectId` also that project and the user's membership, in the same query. */
    async sessionWithUser(id: string, projectId?: string): Promise<{ s: SessionRow; u: UserRow; project?: ProjectWithRole | null } | null> {
      if (projectId === undefined) {
        const [row] = await sessionQ.execute({ id });
        return row ?? null;
      }
      const [row] = await sessionProjectQ.execute({ id, projectId });
      return row ? { s: row.s, u: row.u, project: projectPart(row) } : null;
    },

    async touchSession(id: string, at: Date) {
      await db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id));
    },

    async purgeSessions(expiredBefore: Date, idleBefore: Date) {
      await db.delete(sessions).where(or(lt(sessions.expiresAt, expiredBefore), lt(sessions.lastSeenAt, idleBefore)));
    },

    /** New password, every session of the user ended and every API token revoked, and the audit entry: one transaction. */
    async changePassword(userId: string, hash: string, at: Date) {
      await db.transaction(async (tx) => {
        await tx.update(users).set({ passwordHash: hash, updatedAt: at }).where(eq(users.id, userId));
        await tx.delete(sessions).where(eq(sessions.userId, userId));
        await tx.update(apiTokens).set({ revokedAt: at }).where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
        await audit(tx, { actorId: userId, action: 'auth.password_changed' });
      });
    },

    /** Every session of the user ended and every API token revoked (an admin's password reset). */
    async endAccessOf(userId: string, at: Date) {
      await db.transaction(async (tx) => {
        await tx.delete(sessions).where(eq(sessions.userId, userId));
        await tx.update(apiTokens).set({ revokedAt: at }).where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
      });
    },

    /** The live (unrevoked) token and its user; with `projectId` also that project and the user's membership, in the same query. */
    async liveTokenWithUser(tokenHash: string, projectId?: string): Promise<{ t: TokenRow; u: UserRow; project?: ProjectWithRole | null } | null> {
      if (projectId === undefined) {
        const [row] = await tokenQ.execute({ hash: tokenHash });
        return row ?? null;
      }
      const [row] = await tokenProjectQ.execute({ hash: tokenHash, projectId });
      return row ? { t: row.t, u: row.u, project: projectPart(row) } : null;
    },

    async touchToken(id: string, at: Date) {
      await db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
    },

    async tokensOf(userId: string): Promise<ApiToken[]> {
      const rows = await db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(apiTokens.createdAt);
      return rows.map(toApiToken);
    },

    async insertToken(t: { userId: string; name: string; tokenHash: string; prefix: string; expiresAt: Date | null }): Promise<ApiToken> {
      const [row] = await db.insert(apiTokens).values(t).returning();
      return toApiToken(row!);
    },

    /** Revokes a live token of this user; false when there is none (unknown, someone else's, or already revoked). */
    async revokeToken(userId: string, tokenId: string, at: Date): Promise<boolean> {
      const [row] = await db
        .update(apiTokens)
        .set({ revokedAt: at })
        .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .returning({ id: apiTokens.id });
      return Boolean(row);
    },

    async tokenExists(userId: string, tokenId: string): Promise<boolean> {
      const [exists] = await db.select({ id: apiTokens.id }).from(apiTokens).where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)));
      return Boolean(exists);
    },
  };
}

export type AuthRepo = ReturnType<typeof createAuthRepo>;
