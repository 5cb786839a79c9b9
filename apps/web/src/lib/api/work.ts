/** Endpoints of the judging workspace, imports and assignment settings (see routes/work.ts on the server). */
import {
  DraftSavedSchema,
  ImportJobListSchema,
  ImportJobSchema,
  SubmitResultSchema,
  JudgmentSchema,
  OkSchema,
  ProjectSettingsSchema,
  QueueNextSchema,
  QueueProgressSchema,
  pageOf,
  type DraftPayload,
  type ImportJob,
  type JudgmentPayload,
  type UpdateProjectSettingsBody,
} from '@accord/core';
import { ApiError, errorFromBody } from './errors.ts';
import { client } from './index.ts';

const enc = encodeURIComponent;
const JudgmentPageSchema = pageOf(JudgmentSchema);

export const work = {
  next: (projectId: string) => client.post(`/projects/${enc(projectId)}/queue/next`, QueueNextSchema),
  progress: (projectId: string, signal?: AbortSignal) => client.get(`/projects/${enc(projectId)}/queue`, QueueProgressSchema, { signal }),
  saveDraft: (projectId: string, assignmentId: string, payload: DraftPayload, timeSpentMs: number) =>
    client.request('PUT', `/projects/${enc(projectId)}/assignments/${enc(assignmentId)}/draft`, DraftSavedSchema, { body: { payload, timeSpentMs } }),
  submit: (projectId: string, assignmentId: string, payload: JudgmentPayload, timeSpentMs: number) =>
    client.post(`/projects/${enc(projectId)}/assignments/${enc(assignmentId)}/submit`, SubmitResultSchema, { payload, timeSpentMs }),
  release: (projectId: string, assignmentId: string) => client.post(`/projects/${enc(projectId)}/assignments/${enc(assignmentId)}/release`, OkSchema),
  myJudgments: (projectId: string, query: { limit?: number; offset?: number } = {}, signal?: AbortSignal) =>
    client.get(`/projects/${enc(projectId)}/judgments`, JudgmentPageSchema, { query: { mine: 'true', ...query }, signal }),
  settings: (projectId: string, signal?: AbortSignal) => client.get(`/projects/${enc(projectId)}/settings`, ProjectSettingsSchema, { signal }),
  updateSettings: (projectId: string, body: UpdateProjectSettingsBody) => client.patch(`/projects/${enc(projectId)}/settings`, ProjectSettingsSchema, body),
  imports: (projectId: string, signal?: AbortSignal) => client.get(`/projects/${enc(projectId)}/imports`, ImportJobListSchema, { signal }),
  importJob: (projectId: string, jobId: string, signal?: AbortSignal) => client.get(`/projects/${enc(projectId)}/imports/${enc(jobId)}`, ImportJobSchema, { signal }),
  /** Uploads a file as the raw body (XHR, for upload progress); resolves with the created job. */
  upload(projectId: string, file: File, query: { kind: 'items' | 'judgments'; format: 'jsonl' | 'csv' | 'label-studio' }, onProgress: (fraction: number) => void): Promise<ImportJob> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const q = new URLSearchParams({ ...query, fileName: file.name.slice(0, 255) });
      xhr.open('POST', `/api/projects/${enc(projectId)}/imports?${q}`);
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onerror = () => reject(new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.'));
      xhr.onload = () => {
        let body: unknown;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        if (xhr.status !== 202) return reject(errorFromBody(xhr.status, body, xhr.getResponseHeader('Retry-After')));
        const parsed = ImportJobSchema.safeParse(body);
        if (parsed.success) resolve(parsed.data);
        else reject(new ApiError(xhr.status, 'bad_response', 'The server sent an unexpected answer.'));
      };
      xhr.send(file);
    });
  },
};
