/**
 * A project's rubric: the live draft is the document `rubric:<projectId>` (read through the room,
 * never from the log behind its back); publishing validates it with core's `RubricSchema` and
 * freezes it as the next immutable version (numbered in the repository, under a per-project lock).
 */
import { readRubricDraft, writeRubricDraft } from '@accord/collab';
import {
  AppError,
  describeIssues,
  diffRubrics,
  docName,
  issuesOf,
  RubricDraftSchema,
  RubricSchema,
  rubricKindIssues,
  type RubricDiff,
  type TaskKind,
  type RubricDraft,
  type RubricVersion,
  type RubricVersionSummary,
} from '@accord/core';
import type { DocRegistry } from '../../platform/realtime/registry.ts';
import type { RubricsRepo } from './rubrics.repo.ts';

export const rubricDoc = (projectId: string) => docName('rubric', projectId);

export function createRubricService(repo: RubricsRepo, docs: DocRegistry) {
  async function version(projectId: string, n: number): Promise<RubricVersion> {
    const row = await repo.version(projectId, n);
    if (!row) throw new AppError('not_found', `This rubric has no version ${n}.`);
    return { ...row.summary, content: RubricDraftSchema.parse(row.content) };
  }

  const draft = (projectId: string): Promise<RubricDraft> => docs.read(rubricDoc(projectId), readRubricDraft);

  const latest = (projectId: string): Promise<RubricVersionSummary | null> => repo.latest(projectId);

  return {
    draft,
    latest,
    version,

    /** The newest published version's number and stored content (judging reads it with `RubricSchema`). */
    latestContent: (projectId: string) => repo.latestContent(projectId),

    /** One published version's number and stored content (a past judgment is read under it). */
    async versionContent(projectId: string, version: number): Promise<{ version: number; content: Record<string, unknown> } | null> {
      const v = await repo.version(projectId, version);
      return v ? { version, content: v.content as Record<string, unknown> } : null;
    },

    async state(projectId: string, role: string) {
      return { doc: rubricDoc(projectId), draft: await draft(projectId), latest: await latest(projectId), canPublish: role === 'lead' };
    },

    versions: (projectId: string): Promise<RubricVersionSummary[]> => repo.versions(projectId),

    /** Validates the live draft and stores it as the next version. Errors name draft fields (`dimensions.2.levels.0.anchor`). */
    async publish(actorId: string | null, projectId: string, note: string, taskKind?: TaskKind): Promise<RubricVersion> {
      const parsed = RubricSchema.safeParse(await draft(projectId));
      // A rating project judges on the rubric's scale, a classification project on its taxonomy.
      const details = parsed.success ? (taskKind ? rubricKindIssues(parsed.data, taskKind) : []) : issuesOf(parsed.error);
      if (!parsed.success || details.length) throw new AppError('validation_failed', `The draft cannot be published: ${describeIssues(details)}`, details);
      const content = parsed.data;
      const n = await repo.insertNext(actorId, projectId, content as unknown as Record<string, unknown>, note, content.dimensions.length);
      return version(projectId, n);
    },

    async diff(projectId: string, from: number | 'draft', to: number | 'draft'): Promise<RubricDiff> {
      const side = async (s: number | 'draft') => (s === 'draft' ? draft(projectId) : (await version(projectId, s)).content);
      const [a, b] = await Promise.all([side(from), side(to)]);
      return { from, to, changes: diffRubrics(a, b) };
    },

    /** Replaces the draft through the room (seeding, "start from version N"). */
    async writeDraft(projectId: string, content: RubricDraft): Promise<void> {
      await docs.transact(rubricDoc(projectId), (doc) => writeRubricDraft(doc, content));
    },
  };
}

export type RubricService = ReturnType<typeof createRubricService>;
