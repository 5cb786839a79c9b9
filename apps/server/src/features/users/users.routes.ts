import { contracts } from '@accord/core';
import { sessionOnly } from '../../platform/http/context.ts';
import { bind } from '../../platform/http/route.ts';

export const userRoutes = [
  bind(contracts.users.list, {
    handler: ({ deps, query }) => deps.users.list(query),
  }),
  bind(contracts.users.create, {
    handler: ({ deps, auth, body }) => deps.users.create(auth.user.id, body),
  }),
  bind(contracts.users.update, {
    handler: ({ deps, auth, params, body }) => deps.users.update(auth.user.id, params.userId, body),
  }),
  bind(contracts.users.resetPassword, {
    async handler({ deps, auth, params, body }) {
      // Setting a password is taking the account over (the admin's own, or another admin's): a leaked
      // admin token must not be able to, or revoking it would no longer end what it can do.
      sessionOnly(auth, 'Setting a password');
      await deps.users.resetPassword(auth.user.id, params.userId, body.password);
      return { ok: true as const };
    },
  }),
];
