import { z } from 'zod';
import { ApiTokenSchema, ChangePasswordBodySchema, CreatedTokenSchema, CreateTokenBodySchema, LoginBodySchema, MeSchema } from '../schemas/auth.ts';
import { IdSchema, OkSchema } from '../schemas/common.ts';
import { defineContracts } from './contract.ts';

export const authContracts = defineContracts('auth', {
  login: {
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
    errors: ['unauthenticated', 'rate_limited'],
  },
  logout: {
    method: 'post',
    path: '/api/auth/logout',
    tag: 'auth',
    summary: 'End the current session',
    access: 'user',
    response: OkSchema,
  },
  me: {
    method: 'get',
    path: '/api/auth/me',
    tag: 'auth',
    summary: 'The signed-in user and their project roles',
    access: 'user',
    response: MeSchema,
  },
  changePassword: {
    method: 'post',
    path: '/api/auth/password',
    tag: 'auth',
    summary: 'Change your own password (signed in, not with an API token); ends every session, revokes every API token, and gives this browser a new session. Wrong current passwords count like failed sign-ins (429 past the limit)',
    access: 'user',
    body: ChangePasswordBodySchema,
    response: OkSchema,
  },
  listTokens: {
    method: 'get',
    path: '/api/auth/tokens',
    tag: 'auth',
    summary: 'Your personal API tokens (without their secret)',
    access: 'user',
    response: z.object({ items: z.array(ApiTokenSchema) }),
  },
  createToken: {
    method: 'post',
    path: '/api/auth/tokens',
    tag: 'auth',
    summary: 'Create a personal API token for scripts (`Authorization: Bearer …`); the token is shown once. Needs a signed-in session: an API token cannot create tokens',
    access: 'user',
    body: CreateTokenBodySchema,
    response: CreatedTokenSchema,
    status: 201,
  },
  revokeToken: {
    method: 'delete',
    path: '/api/auth/tokens/:tokenId',
    tag: 'auth',
    summary: 'Revoke one of your API tokens',
    access: 'user',
    params: z.object({ tokenId: IdSchema }),
    response: OkSchema,
    errors: ['not_found'],
  },
});
