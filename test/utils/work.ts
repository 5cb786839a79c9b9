/** Helpers for import and judging tests: upload a file and wait for its job; build a valid judgment. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import type { ImportJob, JudgmentPayload, RubricDraft, Task } from '@accord/core';
import type { DbHandle } from '@accord/db';
import type { ApiClient } from './client.ts';
import { REPO_ROOT } from './process.ts';
import { waitFor } from './server.ts';

const DATASETS = join(REPO_ROOT, 'test/fixtures/datasets');

export function dataset(name: 'llmfao' | 'pandalm' | 'snow2008-valence' | 'snow2008-rte', kind: 'items' | 'judgments'): Buffer {
  return gunzipSync(readFileSync(join(DATASETS, `${name}-${kind}.jsonl.gz`)));
}

export interface ImportOptions {
  kind?: 'items' | 'judgments';
  format?: 'jsonl' | 'csv' | 'label-studio';
  fileName?: string;
  timeout?: number;
}

/** POSTs the file and waits until its job is no longer running. */
export async function importFile(c: ApiClient, projectId: string, body: RequestInit['body'], o: ImportOptions = {}): Promise<ImportJob> {
  const q = new URLSearchParams({ kind: o.kind ?? 'items', format: o.format ?? 'jsonl', fileName: o.fileName ?? 'test' });
  const r = await c.request<ImportJob>('POST', `/api/projects/${projectId}/imports?${q}`, undefined, { raw: body, headers: { 'content-type': 'application/octet-stream' } });
  if (r.status !== 202) throw new Error(`import refused: ${r.status} ${r.text}`);
  return waitFor<ImportJob | null>(
    async () => {
      const j = await c.get<ImportJob>(`/api/projects/${projectId}/imports/${r.body.id}`);
      return j.body.status !== 'running' ? j.body : null;
    },
    { timeout: o.timeout ?? 60_000, interval: 50, message: `import job ${r.body.id}` },
  ) as Promise<ImportJob>;
}

export const jsonlOf = (rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

/**
 * Judges every task the queue serves the client in the project, each with `payload(task)` (default: a
 * valid judgment), expecting every submit to answer 200; returns the tasks in the order served.
 */
export async function judgeQueue(c: ApiClient, projectId: string, payload: (task: Task) => unknown = (t) => validJudgment(t)): Promise<Task[]> {
  const served: Task[] = [];
  for (;;) {
    const task = (await c.post<{ task: Task | null }>(`/api/projects/${projectId}/queue/next`)).body.task;
    if (!task) return served;
    served.push(task);
    const r = await c.post(`/api/projects/${projectId}/assignments/${task.assignmentId}/submit`, { payload: payload(task) });
    if (r.status !== 200) throw new Error(`submit of ${task.item.id} answered ${r.status}: ${r.text.slice(0, 300)}`);
  }
}

export function pairItem(externalId: string, extra: Record<string, unknown> = {}) {
  return {
    externalId,
    prompt: `Prompt ${externalId}: explain why the sky is blue.`,
    responses: [
      { id: 'r1', model: 'model-a', content: `Rayleigh scattering makes short wavelengths scatter more (${externalId}).` },
      { id: 'r2', model: 'model-b', content: `Because it reflects the ocean (${externalId}).` },
    ],
    ...extra,
  };
}

interface RubricContent {
  dimensions?: { id: string; target: 'response' | 'comparison'; scale: { kind: string; max?: number; options?: string[] } }[];
  justification?: { minWords: number };
}

/** A judgment that satisfies the task's rubric: preference by response id, every dimension scored, enough words. With `seq`, its justification is a text of its own (as trainers' are), not the same words every time. */
export function validJudgment(task: Task, value = -2, seq?: number): JudgmentPayload {
  const ids = task.item.responses.map((r) => r.id);
  const rubric = (task.rubric?.content ?? {}) as RubricContent;
  const scores: JudgmentPayload['scores'] = [];
  for (const d of rubric.dimensions ?? []) {
    const v = d.scale.kind === 'likert' ? 1 : 0;
    if (d.target === 'response') for (const id of ids) scores.push({ dimension: d.id, responseId: id, value: v });
    else scores.push({ dimension: d.id, value: v });
  }
  const words = Math.max(5, rubric.justification?.minWords ?? 0);
  return {
    preference: task.taskKind === 'pairwise' ? { kind: 'pairwise', a: ids[0]!, b: ids[1]!, value } : { kind: 'ranking', groups: ids.map((id) => [id]) },
    scores,
    spans: [],
    flags: [],
    justification: Array.from({ length: words }, (_, i) => (seq === undefined ? `word${i}` : `w${((seq + 1) * 7919 + i * 104729) % 1_000_003}`)).join(' '),
  };
}

/**
 * A red-teaming rubric: failure categories (a multi-label taxonomy of these labels, by id and name) and
 * severity as a rating scale (0 None, 1 Low, 2 High, 3 Critical).
 */
export function redteamRubric(labels: { id: string; name: string }[]): RubricDraft {
  return {
    dimensions: [],
    precedence: [],
    justification: { minWords: 0, maxWords: 300 },
    spanCategories: [],
    flags: [],
    rating: { levels: [0, 1, 2, 3].map((value) => ({ value, label: ['None', 'Low', 'High', 'Critical'][value]!, anchor: '' })) },
    taxonomy: { multiLabel: true, overlap: false, labels: labels.map((l) => ({ ...l, parent: null, description: '' })) },
  };
}

// PandaLM-style reasons (see test/fixtures/datasets/PROVENANCE.md), long enough to be compared for copies.
export const RECIPE =
  'Response A provides a complete recipe with clear instructions and measurements, while Response B only lists the ingredients without any instructions on how to use them.';
export const ROAD_TRIP =
  'Response A gives a detailed road trip plan with recommended stops and activities along the coast, while Response B only repeats the input without adding anything useful.';

/** A judgment in screen terms: `prefer` is the letter on this trainer's screen; helpfulness scored `help` for both. */
export function judgment(task: Task, prefer: 'A' | 'B', justification: string, help = 2): JudgmentPayload {
  const [a, b] = task.responseOrder as [string, string];
  return {
    preference: { kind: 'pairwise', a, b, value: prefer === 'A' ? -2 : 2 },
    scores: [
      { dimension: 'helpfulness', responseId: a, value: help },
      { dimension: 'helpfulness', responseId: b, value: help },
      { dimension: 'overall', value: 1 },
    ],
    spans: [],
    flags: [],
    justification,
  };
}

/**
 * How many (item, scope, unit, value, n) rows of the project's stored item counts differ from a
 * recount of its judgments now (`accord_quality_item_counts`), both ways: 0 when the refreshes left
 * nothing counted twice or out.
 */
export async function storedCountsDiff(db: DbHandle, projectId: string): Promise<number> {
  const r = (await db.db.execute(sql`
    with ids as (select array_agg(id) as a from items where project_id = ${projectId}),
    g as (select c.item_id, c.scope, c.unit, c.value, c.n from ids, accord_quality_item_counts(ids.a) c),
    s as (select s.item_id, c.scope, c.unit, c.value, c.n from quality_item_counts s join items i on i.id = s.item_id cross join lateral unnest(s.counts) c where i.project_id = ${projectId})
    select ((select count(*) from (select * from g except all select * from s) x) + (select count(*) from (select * from s except all select * from g) y))::integer as n`)) as unknown as { rows: { n: number }[] };
  return r.rows[0]!.n;
}
