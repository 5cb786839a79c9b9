import { contracts } from '@accord/core';
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
      await deps.users.resetPassword(auth.user.id, params.userId, body.password);
      return { ok: true as const };
    },
  }),
];
