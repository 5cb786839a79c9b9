/**
 * Sessions, API tokens and login. Cookie values and tokens are random 256-bit secrets; only their
 * sha256 is stored, so a database leak does not hand out live sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError, type Me, type ProjectRole } from '@accord/core';
import type { Bus } from '../../platform/bus.ts';
import { systemClock, type Clock } from '../../platform/clock.ts';
import { toUser, type AuthContext, type ProjectLookup } from '../../platform/http/context.ts';
import type { RateLimiter } from '../../platform/rate-limit.ts';
import type { AuthRepo } from './auth.repo.ts';
import { signDevice, verifyDevice } from './devices.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';

export type { AuthContext, UserRow } from '../../platform/http/context.ts';

export interface AuthServiceOptions {
  repo: AuthRepo;
  bus: Bus;
  /** The caller's project roles (the projects feature owns memberships). */
  memberships(userId: string): Promise<{ projectId: string; role: ProjectRole }[]>;
  idleMs: number;
  maxMs: number;
  /** Failed sign-in counters shared by every node (platform/rate-limit.ts). */
  limiter: RateLimiter;
  /** Failed sign-ins per window: per account from browsers it does not know, per known browser, per client address. */
  limits: { perAccount: number; perDevice: number; perAddress: number };
  /** Lifetime of a device cookie. */
  deviceMaxMs: number;
  now?: Clock;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const secret = () => randomBytes(32).toString('base64url');
/** Sessions are touched at most this often, so reads do not turn into a write per request. */
const TOUCH_MS = 60_000;

function withLookup(ctx: AuthContext, projectId: string | undefined, row: ProjectLookup['row'] | undefined): AuthContext & { lookup?: ProjectLookup } {
  return projectId === undefined || row === undefined ? ctx : { ...ctx, lookup: { projectId, row } };
}

export function createAuthService(o: AuthServiceOptions) {
  const now = o.now ?? systemClock;
  const { repo } = o;

  // The key that signs device cookies: one per cluster, made by the first node that needs it.
  let deviceKey: Promise<string> | null = null;
  function deviceKeyOnce(): Promise<string> {
    deviceKey ??= repo.serverKey('device-cookie', secret()).catch((e: unknown) => {
      deviceKey = null;
      throw e;
    });
    return deviceKey;
  }

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

    /**
     * Signs in. Attempts are counted before the password is checked (so parallel guesses cannot
     * overrun a limit) and refused with 429 once a limit is used up, right password or not:
     * - a browser with a valid device cookie for this account counts against that device only;
     * - any other attempt counts against the account (for everyone without a device cookie) and
     *   against the client address.
     * So a stranger's guesses lock out strangers, never the owner's known browser. Success takes
     * its own attempt back (or clears a known device's failures) and hands out a new device cookie;
     * the failures already counted on the account stay, so a guesser gets no fresh budget.
     */
    async login(email: string, password: string, address: string, userAgent: string | null, previousCookie: string | null, deviceCookie: string | null = null) {
      const t = now();
      const key = await deviceKeyOnce();
      const user = await repo.userByEmail(email);
      const device = verifyDevice(key, deviceCookie, t, o.deviceMaxMs);
      const known = device !== null && user !== null && device.userId === user.id;
      const deviceKeyName = known ? `dev:${device.userId}:${device.nonce}` : null;
      const addressKey = `addr:${address}`;
      const limits = deviceKeyName
        ? [{ key: deviceKeyName, max: o.limits.perDevice }]
        : [
            { key: `acct:${sha256(email)}`, max: o.limits.perAccount },
            { key: addressKey, max: o.limits.perAddress },
          ];
      const counted = await o.limiter.attempt(limits);
      if (!counted.ok)
        throw new AppError('rate_limited', `Too many failed sign-in attempts. Try again in ${counted.retryAfter} seconds.`, undefined, {
          'Retry-After': String(counted.retryAfter),
        });
      let ok = false;
      if (user?.passwordHash) ok = await verifyPassword(password, user.passwordHash);
      else await burnPasswordCheck(password);
      // One message for unknown account, wrong password and deactivated account; the attempt stays counted.
      if (!ok || !user || !user.active) throw new AppError('unauthenticated', 'Email or password is incorrect.');
      // Not a failure: the device's failures are forgotten; an unknown browser's attempt is taken back.
      if (deviceKeyName) await o.limiter.reset([deviceKeyName]);
      else await o.limiter.release(limits.map((l) => l.key));
      // A fresh session id at every login; the one the browser came with (if any) is ended.
      if (previousCookie) await repo.deleteSession(sha256(previousCookie));
      const session = await createSession(user.id, userAgent);
      await repo.audit({ actorId: user.id, action: 'auth.login', details: { address, knownDevice: known } });
      const issued = now();
      const fresh = signDevice(key, user.id, issued);
      return { user, ...session, device: { cookie: fresh.value, expiresAt: new Date(issued.getTime() + o.deviceMaxMs) } };
    },

    async logout(sessionId: string) {
      await repo.deleteSession(sessionId);
    },

    /**
     * Resolves a cookie to a live session, applying idle and absolute expiry. With `projectId` (a
     * project route), the same query reads that project and the caller's membership (`lookup`).
     */
    async fromCookie(cookie: string, projectId?: string): Promise<(AuthContext & { lookup?: ProjectLookup }) | null> {
      const id = sha256(cookie);
      const row = await repo.sessionWithUser(id, projectId);
      if (!row) return null;
      const t = now().getTime();
      if (row.s.expiresAt.getTime() <= t || row.s.lastSeenAt.getTime() + o.idleMs <= t || !row.u.active) {
        await repo.deleteSession(id);
        return null;
      }
      const touched = t - row.s.lastSeenAt.getTime() > TOUCH_MS;
      if (touched) await repo.touchSession(id, new Date(t));
      const validUntil = new Date(Math.min(row.s.expiresAt.getTime(), (touched ? t : row.s.lastSeenAt.getTime()) + o.idleMs));
      return withLookup({ user: row.u, via: 'session', sessionId: id, validUntil }, projectId, row.project);
    },

    /** Resolves an API token (live, unexpired, active user); `projectId` as for `fromCookie`. */
    async fromToken(token: string, projectId?: string): Promise<(AuthContext & { lookup?: ProjectLookup }) | null> {
      const row = await repo.liveTokenWithUser(sha256(token), projectId);
      if (!row || !row.u.active) return null;
      const t = now();
      if (row.t.expiresAt && row.t.expiresAt.getTime() <= t.getTime()) return null;
      if (!row.t.lastUsedAt || t.getTime() - row.t.lastUsedAt.getTime() > TOUCH_MS) await repo.touchToken(row.t.id, t);
      return withLookup({ user: row.u, via: 'token', sessionId: null, validUntil: row.t.expiresAt }, projectId, row.project);
    },

    /** Changes the caller's password, ends every session and API token, and returns a fresh session for the caller. */
    async changePassword(ctx: AuthContext, currentPassword: string, newPassword: string, userAgent: string | null) {
      // Each check of the current password counts against the account as a sign-in does: whoever
      // holds a session may not guess the password faster than through the sign-in form.
      const limits = [{ key: `pwd:${ctx.user.id}`, max: o.limits.perAccount }];
      const counted = await o.limiter.attempt(limits);
      if (!counted.ok)
        throw new AppError('rate_limited', `Too many wrong current passwords. Try again in ${counted.retryAfter} seconds.`, undefined, {
          'Retry-After': String(counted.retryAfter),
        });
      const okCurrent = ctx.user.passwordHash ? await verifyPassword(currentPassword, ctx.user.passwordHash) : false;
      if (!okCurrent)
        throw new AppError('validation_failed', 'body.currentPassword: is incorrect', [{ path: 'body.currentPassword', message: 'is incorrect' }]);
      await o.limiter.reset(limits.map((l) => l.key));
      const hash = await hashPassword(newPassword);
      await repo.changePassword(ctx.user.id, hash, now());
      await o.bus.emit('user:sessions-ended', { userId: ctx.user.id });
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
      // Sockets authenticated with that token re-check their credentials and close.
      await o.bus.emit('user:sessions-ended', { userId });
    },

    /** Ends all sessions of a user except, optionally, one, and tells their live sockets. */
    /** A password reset by an admin (account recovery): every session ends and every API token is revoked. */
    async endAccess(userId: string) {
      await repo.endAccessOf(userId, now());
      await o.bus.emit('user:sessions-ended', { userId });
    },

    async endSessions(userId: string, exceptSessionId?: string) {
      await repo.deleteSessionsOf(userId, exceptSessionId);
      await o.bus.emit('user:sessions-ended', { userId });
    },

    /**
     * Deletes every session of a user and revokes every API token, without telling anyone (the caller
     * emits its own event): a deactivation. Tokens only refused while the account is inactive would
     * work again on reactivation, a compromised account's included, where its sessions do not.
     */
    async dropAccess(userId: string) {
      await repo.endAccessOf(userId, now());
    },

    async purgeExpired() {
      const t = now();
      await repo.purgeSessions(t, new Date(t.getTime() - o.idleMs));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
