import { z } from 'zod';
import { IdSchema, OkSchema, pageOf } from '../schemas/common.ts';
import { CreateUserBodySchema, ResetPasswordBodySchema, UpdateUserBodySchema, UserListQuerySchema, UserSchema } from '../schemas/users.ts';
import { defineContracts } from './contract.ts';

const UserParams = z.object({ userId: IdSchema });

export const usersContracts = defineContracts('users', {
  list: {
    method: 'get',
    path: '/api/users',
    tag: 'users',
    summary: 'List users (admin)',
    access: 'admin',
    query: UserListQuerySchema,
    response: pageOf(UserSchema),
  },
  create: {
    method: 'post',
    path: '/api/users',
    tag: 'users',
    summary: 'Create a user (admin)',
    access: 'admin',
    body: CreateUserBodySchema,
    response: UserSchema,
    status: 201,
    errors: ['conflict'],
  },
  update: {
    method: 'patch',
    path: '/api/users/:userId',
    tag: 'users',
    summary: 'Rename, make admin, deactivate or reactivate a user (admin); deactivation ends their sessions',
    access: 'admin',
    params: UserParams,
    body: UpdateUserBodySchema,
    response: UserSchema,
    errors: ['not_found', 'conflict'],
  },
  resetPassword: {
    method: 'post',
    path: '/api/users/:userId/password',
    tag: 'users',
    summary: "Set a user's password (admin); ends their sessions",
    access: 'admin',
    params: UserParams,
    body: ResetPasswordBodySchema,
    response: OkSchema,
    errors: ['not_found'],
  },
});
