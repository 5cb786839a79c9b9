/** Endpoints of the rubric: the draft's JSON view, published versions, publishing and diffs (routes/rubrics.ts on the server). */
import { RubricDiffSchema, RubricStateSchema, RubricVersionSchema, RubricVersionSummarySchema, pageOf } from '@accord/core';
import { client } from './index.ts';

const enc = encodeURIComponent;
const VersionListSchema = pageOf(RubricVersionSummarySchema).pick({ items: true });

export const rubricApi = {
  state: (projectId: string, signal?: AbortSignal) => client.get(`/projects/${enc(projectId)}/rubric`, RubricStateSchema, { signal }),
  versions: async (projectId: string, signal?: AbortSignal) => (await client.get(`/projects/${enc(projectId)}/rubric/versions`, VersionListSchema, { signal })).items,
  version: (projectId: string, version: number, signal?: AbortSignal) => client.get(`/projects/${enc(projectId)}/rubric/versions/${version}`, RubricVersionSchema, { signal }),
  publish: (projectId: string, note: string) => client.post(`/projects/${enc(projectId)}/rubric/publish`, RubricVersionSchema, { note }),
  diff: (projectId: string, from: number | 'draft', to: number | 'draft', signal?: AbortSignal) =>
    client.get(`/projects/${enc(projectId)}/rubric/diff`, RubricDiffSchema, { query: { from: String(from), to: String(to) }, signal }),
};
