import { contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const redteamRoutes = [
  bind(contracts.redteam.listEndpoints, { handler: ({ deps }) => deps.redteam.listEndpoints() }),
  bind(contracts.redteam.createEndpoint, { handler: ({ deps, auth, body }) => deps.redteam.createEndpoint(auth.user.id, body) }),
  bind(contracts.redteam.updateEndpoint, { handler: ({ deps, auth, params, body }) => deps.redteam.updateEndpoint(auth.user.id, params.endpointId, body) }),
  bind(contracts.redteam.deleteEndpoint, { handler: ({ deps, auth, params }) => deps.redteam.deleteEndpoint(auth.user.id, params.endpointId) }),
  bind(contracts.redteam.endpointChoices, { handler: ({ deps }) => deps.redteam.choices() }),
  bind(contracts.redteam.target, { handler: ({ deps, project }) => deps.redteam.target(project) }),
  bind(contracts.redteam.send, { handler: ({ deps, auth, project, params, body }) => deps.redteam.send(project, auth.user.id, params.assignmentId, body) }),
  bind(contracts.redteam.review, { handler: ({ deps, auth, project, params, body }) => deps.redteam.review(project, auth.user.id, params.judgmentId, body) }),
  bind(contracts.redteam.reviews, { handler: ({ deps, project, query }) => deps.redteam.reviews(project, query) }),
];
