import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Context } from 'hono';
import { contracts } from '@accord/core';
import type { Env } from '../../env.ts';
import { clientAddress, isHttps, SESSION_COOKIE } from '../../platform/http/request.ts';
import { bind, type AppEnv } from '../../platform/http/route.ts';

function setSessionCookie(c: Context<AppEnv>, env: Env, value: string, expiresAt: Date) {
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: isHttps(c, env),
    path: '/',
    expires: expiresAt,
  });
}

export const authRoutes = [
  bind(contracts.auth.login, {
    async handler({ c, deps, body }) {
      const previous = getCookie(c, SESSION_COOKIE) ?? null;
      const r = await deps.auth.login(body.email, body.password, clientAddress(c, deps.env), c.req.header('user-agent') ?? null, previous);
      setSessionCookie(c, deps.env, r.cookie, r.expiresAt);
      return deps.auth.me({ user: r.user, via: 'session', sessionId: null });
    },
  }),
  bind(contracts.auth.logout, {
    async handler({ c, deps, auth }) {
      if (auth.sessionId) await deps.auth.logout(auth.sessionId);
      // Live sockets of this session end with it (others of the same user stay).
      deps.bus.emit('user:sessions-ended', { userId: auth.user.id });
      deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c, deps.env) });
      return { ok: true as const };
    },
  }),
  bind(contracts.auth.me, {
    handler: ({ deps, auth }) => deps.auth.me(auth),
  }),
  bind(contracts.auth.changePassword, {
    async handler({ c, deps, auth, body }) {
      const fresh = await deps.auth.changePassword(auth, body.currentPassword, body.newPassword, c.req.header('user-agent') ?? null);
      if (fresh) setSessionCookie(c, deps.env, fresh.cookie, fresh.expiresAt);
      return { ok: true as const };
    },
  }),
  bind(contracts.auth.listTokens, {
    handler: async ({ deps, auth }) => ({ items: await deps.auth.listTokens(auth.user.id) }),
  }),
  bind(contracts.auth.createToken, {
    handler: ({ deps, auth, body }) => deps.auth.createToken(auth.user.id, body.name, body.expiresInDays),
  }),
  bind(contracts.auth.revokeToken, {
    async handler({ deps, auth, params }) {
      await deps.auth.revokeToken(auth.user.id, params.tokenId);
      return { ok: true as const };
    },
  }),
];
