/**
 * Sessions, API tokens and login. Cookie values and tokens are random 256-bit secrets; only their
 * sha256 is stored, so a database leak does not hand out live sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull, lt, ne, or } from 'drizzle-orm';
import { AppError, type Me, type ProjectRole } from '@accord/core';
import { apiTokens, projectMembers, sessions, users, type Db } from '@accord/db';
import { audit } from './audit.ts';
import { toApiToken, toUser } from './mappers.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { Events } from './events.ts';

export type UserRow = typeof users.$inferSelect;

export interface AuthContext {
  user: UserRow;
  via: 'session' | 'token';
  sessionId: string | null;
}

export interface AuthServiceOptions {
  db: Db;
  events: Events;
  idleMs: number;
  maxMs: number;
  accountLimiter: RateLimiter;
  addressLimiter: RateLimiter;
  now?: () => Date;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const secret = () => randomBytes(32).toString('base64url');
/** Sessions are touched at most this often, so reads do not turn into a write per request. */
const TOUCH_MS = 60_000;

export function createAuthService(o: AuthServiceOptions) {
  const now = o.now ?? (() => new Date());
  const { db } = o;

  async function createSession(userId: string, userAgent: string | null): Promise<{ cookie: string; expiresAt: Date }> {
    const cookie = secret();
    const t = now();
    const expiresAt = new Date(t.getTime() + o.maxMs);
    await db.insert(sessions).values({ id: sha256(cookie), userId, createdAt: t, lastSeenAt: t, expiresAt, userAgent: userAgent?.slice(0, 300) ?? null });
    return { cookie, expiresAt };
  }

  async function me(ctx: AuthContext): Promise<Me> {
    const rows = await db
      .select({ projectId: projectMembers.projectId, role: projectMembers.role })
      .from(projectMembers)
      .where(eq(projectMembers.userId, ctx.user.id));
    return { user: toUser(ctx.user), memberships: rows as { projectId: string; role: ProjectRole }[], via: ctx.via };
  }

  return {
    createSession,
    me,

    async login(email: string, password: string, address: string, userAgent: string | null, previousCookie: string | null) {
      const accountKey = `acct:${email}`;
      const addressKey = `addr:${address}`;
      const wait = Math.max(o.accountLimiter.retryAfter(accountKey), o.addressLimiter.retryAfter(addressKey));
      if (wait > 0)
        throw new AppError('rate_limited', `Too many failed sign-in attempts. Try again in ${wait} seconds.`, undefined, { 'Retry-After': String(wait) });
      const [user] = await db.select().from(users).where(eq(users.email, email));
      let ok = false;
      if (user?.passwordHash) ok = await verifyPassword(password, user.passwordHash);
      else await burnPasswordCheck(password);
      if (!ok || !user || !user.active) {
        o.accountLimiter.fail(accountKey);
        o.addressLimiter.fail(addressKey);
        // One message for unknown account, wrong password and deactivated account.
        throw new AppError('unauthenticated', 'Email or password is incorrect.');
      }
      o.accountLimiter.reset(accountKey);
      // A fresh session id at every login; the one the browser came with (if any) is ended.
      if (previousCookie) await db.delete(sessions).where(eq(sessions.id, sha256(previousCookie)));
      const session = await createSession(user.id, userAgent);
      await audit(db, { actorId: user.id, action: 'auth.login', details: { address } });
      return { user, ...session };
    },

    async logout(sessionId: string) {
      await db.delete(sessions).where(eq(sessions.id, sessionId));
    },

    /** Resolves a cookie to a live session, applying idle and absolute expiry. */
    async fromCookie(cookie: string): Promise<AuthContext | null> {
      const id = sha256(cookie);
      const [row] = await db
        .select({ s: sessions, u: users })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(sessions.id, id));
      if (!row) return null;
      const t = now().getTime();
      if (row.s.expiresAt.getTime() <= t || row.s.lastSeenAt.getTime() + o.idleMs <= t || !row.u.active) {
        await db.delete(sessions).where(eq(sessions.id, id));
        return null;
      }
      if (t - row.s.lastSeenAt.getTime() > TOUCH_MS) await db.update(sessions).set({ lastSeenAt: new Date(t) }).where(eq(sessions.id, id));
      return { user: row.u, via: 'session', sessionId: id };
    },

    async fromToken(token: string): Promise<AuthContext | null> {
      const [row] = await db
        .select({ t: apiTokens, u: users })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(and(eq(apiTokens.tokenHash, sha256(token)), isNull(apiTokens.revokedAt)));
      if (!row || !row.u.active) return null;
      const t = now();
      if (row.t.expiresAt && row.t.expiresAt.getTime() <= t.getTime()) return null;
      if (!row.t.lastUsedAt || t.getTime() - row.t.lastUsedAt.getTime() > TOUCH_MS)
        await db.update(apiTokens).set({ lastUsedAt: t }).where(eq(apiTokens.id, row.t.id));
      return { user: row.u, via: 'token', sessionId: null };
    },

    /** Changes the caller's password, ends every other session, and returns a fresh one for the caller. */
    async changePassword(ctx: AuthContext, currentPassword: string, newPassword: string, userAgent: string | null) {
      const okCurrent = ctx.user.passwordHash ? await verifyPassword(currentPassword, ctx.user.passwordHash) : false;
      if (!okCurrent)
        throw new AppError('validation_failed', 'body.currentPassword: is incorrect', [{ path: 'body.currentPassword', message: 'is incorrect' }]);
      const hash = await hashPassword(newPassword);
      await db.transaction(async (tx) => {
        await tx.update(users).set({ passwordHash: hash, updatedAt: now() }).where(eq(users.id, ctx.user.id));
        await tx.delete(sessions).where(eq(sessions.userId, ctx.user.id));
        await audit(tx, { actorId: ctx.user.id, action: 'auth.password_changed' });
      });
      o.events.emit('user:sessions-ended', { userId: ctx.user.id });
      return ctx.via === 'session' ? createSession(ctx.user.id, userAgent) : null;
    },

    async listTokens(userId: string) {
      const rows = await db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(apiTokens.createdAt);
      return rows.map(toApiToken);
    },

    async createToken(userId: string, name: string, expiresInDays: number | null) {
      const token = `acc_${secret()}`;
      const expiresAt = expiresInDays ? new Date(now().getTime() + expiresInDays * 86_400_000) : null;
      const [row] = await db
        .insert(apiTokens)
        .values({ userId, name, tokenHash: sha256(token), prefix: token.slice(0, 10), expiresAt })
        .returning();
      await audit(db, { actorId: userId, action: 'token.created', target: row!.id });
      return { token, apiToken: toApiToken(row!) };
    },

    async revokeToken(userId: string, tokenId: string) {
      const [row] = await db
        .update(apiTokens)
        .set({ revokedAt: now() })
        .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
        .returning({ id: apiTokens.id });
      if (!row) {
        const [exists] = await db.select({ id: apiTokens.id }).from(apiTokens).where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)));
        if (!exists) throw new AppError('not_found', 'No such token.');
      }
      await audit(db, { actorId: userId, action: 'token.revoked', target: tokenId });
    },

    /** Ends all sessions of a user except, optionally, one. */
    async endSessions(userId: string, exceptSessionId?: string) {
      await db
        .delete(sessions)
        .where(exceptSessionId ? and(eq(sessions.userId, userId), ne(sessions.id, exceptSessionId)) : eq(sessions.userId, userId));
      o.events.emit('user:sessions-ended', { userId });
    },

    async purgeExpired() {
      const t = now();
      await db.delete(sessions).where(or(lt(sessions.expiresAt, t), lt(sessions.lastSeenAt, new Date(t.getTime() - o.idleMs))));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
