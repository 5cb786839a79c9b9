import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Context } from 'hono';
import {
  ApiTokenSchema,
  ChangePasswordBodySchema,
  CreatedTokenSchema,
  CreateTokenBodySchema,
  IdSchema,
  LoginBodySchema,
  MeSchema,
  OkSchema,
} from '@accord/core';
import { z } from 'zod';
import type { Env } from '../../env.ts';
import { clientAddress, deviceCookieName, isHttps, sessionCookieName } from '../../platform/http/request.ts';
import { route, type AppEnv } from '../../platform/http/route.ts';

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
  route({
    method: 'post',
    path: '/api/auth/login',
    tag: 'auth',
    summary: 'Sign in with email and password; sets the session cookie',
    description:
      'Failed attempts are limited per account and per client address (429 with Retry-After, even with the right password). ' +
      'A browser that signed in to the account before (its device cookie) is limited on its own instead, so strangers cannot lock the owner out.',
    access: 'public',
    body: LoginBodySchema,
    response: MeSchema,
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
  route({
    method: 'post',
    path: '/api/auth/logout',
    tag: 'auth',
    summary: 'End the current session',
    access: 'user',
    response: OkSchema,
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
  route({
    method: 'get',
    path: '/api/auth/me',
    tag: 'auth',
    summary: 'The signed-in user and their project roles',
    access: 'user',
    response: MeSchema,
    handler: ({ deps, auth }) => deps.auth.me(auth),
  }),
  route({
    method: 'post',
    path: '/api/auth/password',
    tag: 'auth',
    summary: 'Change your own password; ends every session, and gives this browser a new one',
    access: 'user',
    body: ChangePasswordBodySchema,
    response: OkSchema,
    async handler({ c, deps, auth, body }) {
      const fresh = await deps.auth.changePassword(auth, body.currentPassword, body.newPassword, c.req.header('user-agent') ?? null);
      if (fresh) setSessionCookie(c, deps.env, fresh.cookie, fresh.expiresAt);
      return { ok: true as const };
    },
  }),
  route({
    method: 'get',
    path: '/api/auth/tokens',
    tag: 'auth',
    summary: 'Your personal API tokens (without their secret)',
    access: 'user',
    response: z.object({ items: z.array(ApiTokenSchema) }),
    handler: async ({ deps, auth }) => ({ items: await deps.auth.listTokens(auth.user.id) }),
  }),
  route({
    method: 'post',
    path: '/api/auth/tokens',
    tag: 'auth',
    summary: 'Create a personal API token for scripts (`Authorization: Bearer …`); the token is shown once',
    access: 'user',
    body: CreateTokenBodySchema,
    response: CreatedTokenSchema,
    status: 201,
    handler: ({ deps, auth, body }) => deps.auth.createToken(auth.user.id, body.name, body.expiresInDays),
  }),
  route({
    method: 'delete',
    path: '/api/auth/tokens/:tokenId',
    tag: 'auth',
    summary: 'Revoke one of your API tokens',
    access: 'user',
    params: z.object({ tokenId: IdSchema }),
    response: OkSchema,
    async handler({ deps, auth, params }) {
      await deps.auth.revokeToken(auth.user.id, params.tokenId);
      return { ok: true as const };
    },
  }),
];
