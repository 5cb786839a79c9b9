import { z } from 'zod';
import { ProjectParamsSchema } from '../schemas/projects.ts';
import {
  PublishRubricBodySchema,
  RubricDiffQuerySchema,
  RubricDiffSchema,
  RubricStateSchema,
  RubricVersionParamsSchema,
  RubricVersionSchema,
  RubricVersionSummarySchema,
} from '../schemas/rubrics.ts';
import { defineContracts } from './contract.ts';

const ANY_MEMBER = ['lead', 'reviewer', 'trainer'] as const;
const AUTHORS = ['lead', 'reviewer'] as const;

export const rubricsContracts = defineContracts('rubrics', {
  state: {
    method: 'get',
    path: '/api/projects/:projectId/rubric',
    tag: 'rubric',
    summary: 'The live rubric draft as JSON, its document name and the latest published version (lead, reviewer)',
    description: 'The draft is edited live over Socket.IO (`doc:join` with the returned `doc`); this is a read-only view of the server copy.',
    access: { project: AUTHORS },
    params: ProjectParamsSchema,
    response: RubricStateSchema,
  },
  versions: {
    method: 'get',
    path: '/api/projects/:projectId/rubric/versions',
    tag: 'rubric',
    summary: 'Published rubric versions, newest first (any member)',
    access: { project: ANY_MEMBER },
    params: ProjectParamsSchema,
    response: z.object({ items: z.array(RubricVersionSummarySchema) }),
  },
  version: {
    method: 'get',
    path: '/api/projects/:projectId/rubric/versions/:version',
    tag: 'rubric',
    summary: 'One published, immutable rubric version (any member)',
    access: { project: ANY_MEMBER },
    params: RubricVersionParamsSchema,
    response: RubricVersionSchema,
  },
  publish: {
    method: 'post',
    path: '/api/projects/:projectId/rubric/publish',
    tag: 'rubric',
    summary: 'Validate the live draft and publish it as the next version (lead)',
    description: 'On failure: 400 `validation_failed` with `details[].path` naming draft fields, e.g. `dimensions.2.levels.0.anchor`.',
    access: { project: ['lead'] },
    params: ProjectParamsSchema,
    body: PublishRubricBodySchema,
    response: RubricVersionSchema,
    status: 201,
  },
  diff: {
    method: 'get',
    path: '/api/projects/:projectId/rubric/diff',
    tag: 'rubric',
    summary: 'A readable diff between two versions, or a version and the draft (lead, reviewer)',
    access: { project: AUTHORS },
    params: ProjectParamsSchema,
    query: RubricDiffQuerySchema,
    response: RubricDiffSchema,
  },
});
