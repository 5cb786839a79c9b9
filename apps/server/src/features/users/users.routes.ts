import { z } from 'zod';
import {
  CreateUserBodySchema,
  IdSchema,
  OkSchema,
  pageOf,
  ResetPasswordBodySchema,
  UpdateUserBodySchema,
  UserListQuerySchema,
  UserSchema,
} from '@accord/core';
import { route } from '../../platform/http/route.ts';

const UserParams = z.object({ userId: IdSchema });

export const userRoutes = [
  route({
    method: 'get',
    path: '/api/users',
    tag: 'users',
    summary: 'List users (admin)',
    access: 'admin',
    query: UserListQuerySchema,
    response: pageOf(UserSchema),
    handler: ({ deps, query }) => deps.users.list(query),
  }),
  route({
    method: 'post',
    path: '/api/users',
    tag: 'users',
    summary: 'Create a user (admin)',
    access: 'admin',
    body: CreateUserBodySchema,
    response: UserSchema,
    status: 201,
    handler: ({ deps, auth, body }) => deps.users.create(auth.user.id, body),
  }),
  route({
    method: 'patch',
    path: '/api/users/:userId',
    tag: 'users',
    summary: 'Rename, make admin, deactivate or reactivate a user (admin); deactivation ends their sessions',
    access: 'admin',
    params: UserParams,
    body: UpdateUserBodySchema,
    response: UserSchema,
    handler: ({ deps, auth, params, body }) => deps.users.update(auth.user.id, params.userId, body),
  }),
  route({
    method: 'post',
    path: '/api/users/:userId/password',
    tag: 'users',
    summary: "Set a user's password (admin); ends their sessions",
    access: 'admin',
    params: UserParams,
    body: ResetPasswordBodySchema,
    response: OkSchema,
    async handler({ deps, auth, params, body }) {
      await deps.users.resetPassword(auth.user.id, params.userId, body.password);
      return { ok: true as const };
    },
  }),
];
