import { contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const consensusRoutes = [
  bind(contracts.consensus.list, {
    handler: ({ deps, project, query }) => deps.consensus.list(project, query),
  }),
  bind(contracts.consensus.get, {
    handler: ({ deps, project, params }) => deps.consensus.get(project, params.labelId),
  }),
  bind(contracts.consensus.reopen, {
    handler: ({ deps, auth, project, params, body }) => deps.consensus.reopen(project, auth.user.id, params.labelId, body.note),
  }),
  bind(contracts.disputes.list, {
    handler: ({ deps, project, query }) => deps.consensus.listDisputes(project, query),
  }),
  bind(contracts.disputes.get, {
    handler: ({ deps, project, params }) => deps.consensus.detail(project, params.disputeId),
  }),
  bind(contracts.disputes.open, {
    handler: ({ deps, auth, project, params, body }) => deps.consensus.open(project, auth.user.id, params.itemId, body.note),
  }),
  bind(contracts.disputes.signoff, {
    handler: ({ deps, auth, project, params }) => deps.consensus.signoff(project, auth.user.id, params.disputeId, false),
  }),
  bind(contracts.disputes.withdrawSignoff, {
    handler: ({ deps, auth, project, params }) => deps.consensus.signoff(project, auth.user.id, params.disputeId, true),
  }),
  bind(contracts.disputes.commit, {
    async handler({ c, deps, auth, project, params }) {
      const key = c.req.header('idempotency-key') ?? null;
      const r = await deps.consensus.commit(project, auth.user, params.disputeId, key);
      // 201 for the commit that wrote the label; 200 with the same label for retries and concurrent commits.
      return r.created ? r : c.json(r, 200);
    },
  }),
  bind(contracts.disputes.promoteGold, {
    handler: ({ deps, auth, project, params }) => deps.consensus.promoteGold(project, auth.user.id, params.disputeId),
  }),
];
