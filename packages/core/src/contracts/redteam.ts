import { z } from 'zod';
import { IdSchema, OkSchema } from '../schemas/common.ts';
import { ProjectParamsSchema } from '../schemas/projects.ts';
import {
  CreateModelEndpointBodySchema,
  ModelEndpointChoiceSchema,
  ModelEndpointSchema,
  RedteamReviewBodySchema,
  RedteamReviewSchema,
  RedteamReviewsQuerySchema,
  RedteamReviewSummarySchema,
  RedteamSendBodySchema,
  RedteamSendResultSchema,
  RedteamTargetSchema,
  UpdateModelEndpointBodySchema,
} from '../schemas/redteam.ts';
import { AssignmentParamsSchema, JudgmentParamsSchema } from '../schemas/work.ts';
import { defineContracts } from './contract.ts';

const EndpointParams = z.object({ endpointId: IdSchema });

export const redteamContracts = defineContracts('redteam', {
  // ---- models under test (admins)
  listEndpoints: {
    method: 'get',
    path: '/api/model-endpoints',
    tag: 'redteam',
    summary: 'Registered model endpoints (admin); the API key is never returned, only whether one is set',
    access: 'admin',
    response: z.array(ModelEndpointSchema),
  },
  createEndpoint: {
    method: 'post',
    path: '/api/model-endpoints',
    tag: 'redteam',
    summary: 'Register an OpenAI-compatible chat endpoint (admin): name, base URL, model, API key, timeout, max tokens',
    access: 'admin',
    body: CreateModelEndpointBodySchema,
    response: ModelEndpointSchema,
    status: 201,
    errors: ['conflict'],
  },
  updateEndpoint: {
    method: 'patch',
    path: '/api/model-endpoints/:endpointId',
    tag: 'redteam',
    summary: 'Change a model endpoint (admin); apiKey replaces the key, an empty one removes it',
    access: 'admin',
    params: EndpointParams,
    body: UpdateModelEndpointBodySchema,
    response: ModelEndpointSchema,
    errors: ['not_found', 'conflict'],
  },
  deleteEndpoint: {
    method: 'delete',
    path: '/api/model-endpoints/:endpointId',
    tag: 'redteam',
    summary: 'Remove a model endpoint (admin); projects that picked it have none afterwards, recorded calls keep its name',
    access: 'admin',
    params: EndpointParams,
    response: OkSchema,
    errors: ['not_found'],
  },
  endpointChoices: {
    method: 'get',
    path: '/api/projects/:projectId/model-endpoints',
    tag: 'redteam',
    summary: 'The model endpoints a lead may pick for the project (name and model; no URL or key)',
    access: { project: ['lead'] },
    params: ProjectParamsSchema,
    response: z.array(ModelEndpointChoiceSchema),
  },
  target: {
    method: 'get',
    path: '/api/projects/:projectId/redteam/target',
    tag: 'redteam',
    summary: "Whether the project has a model under test; leads and reviewers also see its name and model, trainers only whether there is one",
    access: { project: ['lead', 'reviewer', 'trainer'] },
    params: ProjectParamsSchema,
    response: RedteamTargetSchema,
  },
  send: {
    method: 'post',
    path: '/api/projects/:projectId/assignments/:assignmentId/redteam/send',
    tag: 'redteam',
    summary: "Send your attack's conversation to the project's model and get its response (rate-limited per user); the call is recorded",
    description:
      "The server calls only the endpoint the project's lead picked (`POST {baseUrl}/chat/completions`) with its timeout, a response size cap and no redirects. A refused or failing model answers 502 `model_failed` (the model's status in the message), a slow one 504 `model_timeout`; your draft is not touched either way.",
    access: { project: ['lead', 'reviewer', 'trainer'] },
    params: AssignmentParamsSchema,
    body: RedteamSendBodySchema,
    response: RedteamSendResultSchema,
    errors: ['conflict', 'rate_limited', 'model_failed', 'model_timeout'],
  },
  review: {
    method: 'put',
    path: '/api/projects/:projectId/judgments/:judgmentId/redteam-review',
    tag: 'redteam',
    summary: 'Confirm or dispute a submitted attack (lead, reviewer); a second call replaces your verdict',
    access: { project: ['lead', 'reviewer'] },
    params: JudgmentParamsSchema,
    body: RedteamReviewBodySchema,
    response: RedteamReviewSchema,
    errors: ['conflict'],
  },
  reviews: {
    method: 'get',
    path: '/api/projects/:projectId/redteam/reviews',
    tag: 'redteam',
    summary: "Submitted attacks with reviewers' confirmations and disputes, and κ between reviewers' verdicts and the trainers' success flags (lead, reviewer)",
    description: 'Filter `itemId`: only the attacks on that item, and κ, `confirmedShare` and `reviews` over their reviews alone.',
    access: { project: ['lead', 'reviewer'] },
    params: ProjectParamsSchema,
    query: RedteamReviewsQuerySchema,
    response: RedteamReviewSummarySchema,
  },
});
