import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Context } from 'hono';
import { contracts } from '@accord/core';
import type { Env } from '../../env.ts';
import { clientAddress, deviceCookieName, isHttps, sessionCookieName } from '../../platform/http/request.ts';
import { bind, type AppEnv } from '../../platform/http/route.ts';
import { sessionOnly } from '../../platform/http/context.ts';

/** Over https the cookie is `__Host-accord_session` (Secure, Path=/, no Domain); over plain http `accord_session`. */
function setSessionCookie(c: Context<AppEnv>, env: Env, value: string, expiresAt: Date) {
  const https = isHttps(c, env);
  setCookie(c, sessionCookieName(https), value, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: https,
    path: '/',
    expires: expiresAt,
  });
}

/** The browser's device cookie (features/auth/devices.ts): only ever read by the login route. */
function setDeviceCookie(c: Context<AppEnv>, env: Env, value: string, expiresAt: Date) {
  const https = isHttps(c, env);
  setCookie(c, deviceCookieName(https), value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: https,
    path: '/',
    expires: expiresAt,
  });
}

export const authRoutes = [
  bind(contracts.auth.login, {
    async handler({ c, deps, body }) {
      const https = isHttps(c, deps.env);
      const previous = getCookie(c, sessionCookieName(https)) ?? null;
      const device = getCookie(c, deviceCookieName(https)) ?? null;
      const r = await deps.auth.login(body.email, body.password, clientAddress(c, deps.env), c.req.header('user-agent') ?? null, previous, device);
      setSessionCookie(c, deps.env, r.cookie, r.expiresAt);
      setDeviceCookie(c, deps.env, r.device.cookie, r.device.expiresAt);
      return deps.auth.me({ user: r.user, via: 'session', sessionId: null });
    },
  }),
  bind(contracts.auth.logout, {
    async handler({ c, deps, auth }) {
      if (auth.sessionId) await deps.auth.logout(auth.sessionId);
      // Live sockets of this session end with it (others of the same user stay).
      await deps.bus.emit('user:sessions-ended', { userId: auth.user.id });
      const https = isHttps(c, deps.env);
      // The device cookie stays: this browser remains known to the account.
      deleteCookie(c, sessionCookieName(https), { path: '/', secure: https });
      return { ok: true as const };
    },
  }),
  bind(contracts.auth.me, {
    handler: ({ deps, auth }) => deps.auth.me(auth),
  }),
  bind(contracts.auth.changePassword, {
    async handler({ c, deps, auth, body }) {
      sessionOnly(auth, 'Changing the password');
      const fresh = await deps.auth.changePassword(auth, body.currentPassword, body.newPassword, c.req.header('user-agent') ?? null);
      if (fresh) setSessionCookie(c, deps.env, fresh.cookie, fresh.expiresAt);
      return { ok: true as const };
    },
  }),
  bind(contracts.auth.listTokens, {
    handler: async ({ deps, auth }) => ({ items: await deps.auth.listTokens(auth.user.id) }),
  }),
  bind(contracts.auth.createToken, {
    handler: ({ deps, auth, body }) => {
      sessionOnly(auth, 'Creating an API token');
      return deps.auth.createToken(auth.user.id, body.name, body.expiresInDays);
    },
  }),
  bind(contracts.auth.revokeToken, {
    async handler({ deps, auth, params }) {
      await deps.auth.revokeToken(auth.user.id, params.tokenId);
      return { ok: true as const };
    },
  }),
];
