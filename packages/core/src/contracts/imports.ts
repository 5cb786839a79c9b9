import { ProjectParamsSchema } from '../schemas/projects.ts';
import { ImportJobListSchema, ImportJobParamsSchema, ImportJobSchema, ImportQuerySchema } from '../schemas/work.ts';
import { defineContracts } from './contract.ts';

export const importsContracts = defineContracts('imports', {
  start: {
    method: 'post',
    path: '/api/projects/:projectId/imports',
    tag: 'import',
    summary: 'Import items or existing judgments from a file sent as the raw request body (lead)',
    description:
      'Send the file itself as the body (any Content-Type; e.g. `curl --data-binary @items.jsonl`). ' +
      '`kind=items`: JSONL in Accord\'s item format, CSV (external_id, prompt, response_1.., model_1.., reference, gold, metadata) or a Label Studio JSON export. ' +
      '`kind=judgments`: JSONL lines `{ externalId, annotator, judgment }`; unknown annotators become inactive placeholder members. ' +
      'The file is stored, a job is created and processed in the background: answers 202 with the job; follow it with GET .../imports/{jobId}. ' +
      'Re-importing the same file changes nothing.',
    access: { project: ['lead'] },
    params: ProjectParamsSchema,
    query: ImportQuerySchema,
    rawBody: { contentTypes: ['application/x-ndjson', 'text/csv', 'application/json', 'application/octet-stream'] },
    response: ImportJobSchema,
    status: 202,
  },
  list: {
    method: 'get',
    path: '/api/projects/:projectId/imports',
    tag: 'import',
    summary: 'Recent import jobs of the project, newest first (lead)',
    access: { project: ['lead'] },
    params: ProjectParamsSchema,
    response: ImportJobListSchema,
  },
  get: {
    method: 'get',
    path: '/api/projects/:projectId/imports/:jobId',
    tag: 'import',
    summary: 'One import job: status, progress, counts and rejected lines (lead)',
    access: { project: ['lead'] },
    params: ImportJobParamsSchema,
    response: ImportJobSchema,
  },
});
