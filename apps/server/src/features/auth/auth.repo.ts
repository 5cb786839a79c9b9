/** Sessions and API tokens in SQL: the only code of the auth feature that speaks to the database. */
import { and, eq, isNull, lt, ne, or } from 'drizzle-orm';
import type { ApiToken } from '@accord/core';
import { apiTokens, serverKeys, sessions, users, type Db } from '@accord/db';
import { audit, type AuditEntry } from '../../platform/audit.ts';

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

export function createAuthRepo(db: Db) {
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

    async sessionWithUser(id: string) {
      const [row] = await db
        .select({ s: sessions, u: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(sessions.id, id));
      return row ?? null;
    },

    async touchSession(id: string, at: Date) {
      await db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.id, id));
    },

    async purgeSessions(expiredBefore: Date, idleBefore: Date) {
      await db.delete(sessions).where(or(lt(sessions.expiresAt, expiredBefore), lt(sessions.lastSeenAt, idleBefore)));
    },

    /** New password, every session of the user ended, and the audit entry: one transaction. */
    async changePassword(userId: string, hash: string, at: Date) {
      await db.transaction(async (tx) => {
        await tx.update(users).set({ passwordHash: hash, updatedAt: at }).where(eq(users.id, userId));
        await tx.delete(sessions).where(eq(sessions.userId, userId));
        await audit(tx, { actorId: userId, action: 'auth.password_changed' });
      });
    },

    async liveTokenWithUser(tokenHash: string) {
      const [row] = await db
        .select({ t: apiTokens, u: users })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
      return row ?? null;
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
