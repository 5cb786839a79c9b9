/**
 * Sessions, API tokens and login. Cookie values and tokens are random 256-bit secrets; only their
 * sha256 is stored, so a database leak does not hand out live sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError, type Me, type ProjectRole } from '@accord/core';
import type { Bus } from '../../platform/bus.ts';
import { systemClock, type Clock } from '../../platform/clock.ts';
import { toUser, type AuthContext } from '../../platform/http/context.ts';
import type { RateLimiter } from '../../platform/rate-limit.ts';
import type { AuthRepo } from './auth.repo.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';

export type { AuthContext, UserRow } from '../../platform/http/context.ts';

export interface AuthServiceOptions {
  repo: AuthRepo;
  bus: Bus;
  /** The caller's project roles (the projects feature owns memberships). */
  memberships(userId: string): Promise<{ projectId: string; role: ProjectRole }[]>;
  idleMs: number;
  maxMs: number;
  accountLimiter: RateLimiter;
  addressLimiter: RateLimiter;
  now?: Clock;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const secret = () => randomBytes(32).toString('base64url');
/** Sessions are touched at most this often, so reads do not turn into a write per request. */
const TOUCH_MS = 60_000;

export function createAuthService(o: AuthServiceOptions) {
  const now = o.now ?? systemClock;
  const { repo } = o;

  async function createSession(userId: string, userAgent: string | null): Promise<{ cookie: string; expiresAt: Date }> {
    const cookie = secret();
    const t = now();
    const expiresAt = new Date(t.getTime() + o.maxMs);
    await repo.insertSession({ id: sha256(cookie), userId, createdAt: t, lastSeenAt: t, expiresAt, userAgent: userAgent?.slice(0, 300) ?? null });
    return { cookie, expiresAt };
  }

  async function me(ctx: AuthContext): Promise<Me> {
    return { user: toUser(ctx.user), memberships: await o.memberships(ctx.user.id), via: ctx.via };
  }

  return {
    createSession,
    me,
    hashPassword,

    async login(email: string, password: string, address: string, userAgent: string | null, previousCookie: string | null) {
      const accountKey = `acct:${email}`;
      const addressKey = `addr:${address}`;
      const wait = Math.max(o.accountLimiter.retryAfter(accountKey), o.addressLimiter.retryAfter(addressKey));
      if (wait > 0)
        throw new AppError('rate_limited', `Too many failed sign-in attempts. Try again in ${wait} seconds.`, undefined, { 'Retry-After': String(wait) });
      const user = await repo.userByEmail(email);
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
      if (previousCookie) await repo.deleteSession(sha256(previousCookie));
      const session = await createSession(user.id, userAgent);
      await repo.audit({ actorId: user.id, action: 'auth.login', details: { address } });
      return { user, ...session };
    },

    async logout(sessionId: string) {
      await repo.deleteSession(sessionId);
    },

    /** Resolves a cookie to a live session, applying idle and absolute expiry. */
    async fromCookie(cookie: string): Promise<AuthContext | null> {
      const id = sha256(cookie);
      const row = await repo.sessionWithUser(id);
      if (!row) return null;
      const t = now().getTime();
      if (row.s.expiresAt.getTime() <= t || row.s.lastSeenAt.getTime() + o.idleMs <= t || !row.u.active) {
        await repo.deleteSession(id);
        return null;
      }
      if (t - row.s.lastSeenAt.getTime() > TOUCH_MS) await repo.touchSession(id, new Date(t));
      return { user: row.u, via: 'session', sessionId: id };
    },

    async fromToken(token: string): Promise<AuthContext | null> {
      const row = await repo.liveTokenWithUser(sha256(token));
      if (!row || !row.u.active) return null;
      const t = now();
      if (row.t.expiresAt && row.t.expiresAt.getTime() <= t.getTime()) return null;
      if (!row.t.lastUsedAt || t.getTime() - row.t.lastUsedAt.getTime() > TOUCH_MS) await repo.touchToken(row.t.id, t);
      return { user: row.u, via: 'token', sessionId: null };
    },

    /** Changes the caller's password, ends every other session, and returns a fresh one for the caller. */
    async changePassword(ctx: AuthContext, currentPassword: string, newPassword: string, userAgent: string | null) {
      const okCurrent = ctx.user.passwordHash ? await verifyPassword(currentPassword, ctx.user.passwordHash) : false;
      if (!okCurrent)
        throw new AppError('validation_failed', 'body.currentPassword: is incorrect', [{ path: 'body.currentPassword', message: 'is incorrect' }]);
      const hash = await hashPassword(newPassword);
      await repo.changePassword(ctx.user.id, hash, now());
      o.bus.emit('user:sessions-ended', { userId: ctx.user.id });
      return ctx.via === 'session' ? createSession(ctx.user.id, userAgent) : null;
    },

    listTokens: (userId: string) => repo.tokensOf(userId),

    async createToken(userId: string, name: string, expiresInDays: number | null) {
      const token = `acc_${secret()}`;
      const expiresAt = expiresInDays ? new Date(now().getTime() + expiresInDays * 86_400_000) : null;
      const apiToken = await repo.insertToken({ userId, name, tokenHash: sha256(token), prefix: token.slice(0, 10), expiresAt });
      await repo.audit({ actorId: userId, action: 'token.created', target: apiToken.id });
      return { token, apiToken };
    },

    async revokeToken(userId: string, tokenId: string) {
      if (!(await repo.revokeToken(userId, tokenId, now())) && !(await repo.tokenExists(userId, tokenId))) throw new AppError('not_found', 'No such token.');
      await repo.audit({ actorId: userId, action: 'token.revoked', target: tokenId });
    },

    /** Ends all sessions of a user except, optionally, one, and tells their live sockets. */
    async endSessions(userId: string, exceptSessionId?: string) {
      await repo.deleteSessionsOf(userId, exceptSessionId);
      o.bus.emit('user:sessions-ended', { userId });
    },

    /** Deletes every session of a user without telling anyone (the caller emits its own event). */
    async dropSessions(userId: string) {
      await repo.deleteSessionsOf(userId);
    },

    async purgeExpired() {
      const t = now();
      await repo.purgeSessions(t, new Date(t.getTime() - o.idleMs));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
