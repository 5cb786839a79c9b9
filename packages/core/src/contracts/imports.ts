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
      'An item that already has judgments keeps its prompt, context, responses, response ids and reference: a line changing them is rejected (import a new version under a new external id). ' +
      'Label Studio `annotations` become judgments: `pairwise` (left = the item\'s first response), `ranker` (one list, best first) and `choices` naming a response or a tie → the preference; ' +
      'other `choices` → flags; `rating` → a score named by `from_name` on the response `to_name` names; `textarea` → justification; `completed_by` → annotator (email, else `label-studio-<id>`), ' +
      '`lead_time` → time spent. Each annotation that cannot be mapped (cancelled, no preference, another result type) is reported on its task\'s line. ' +
      '`kind=judgments`: JSONL lines `{ externalId, annotator, annotatorKind?: "human" | "model", judgment }`. The annotator must be a member of the project (by user id or email) or is a new inactive placeholder member; ' +
      'naming an existing user who is not a member is rejected (imports never enrol users). Model annotators are counted apart from people. ' +
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
