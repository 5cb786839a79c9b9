/**
 * Reviewers' and leads' feedback on judgments. A trainer reads the feedback on their own judgments
 * and nobody else's (someone else's judgment is "not found", so its existence is not revealed), and
 * writes none. Under blind adjudication (`consensus.blind`) a reviewer reads feedback without whose
 * judgment it is about and cannot filter by annotator, as with the judgments themselves: the
 * feedback's judgment ids are the room's, so its `userId` named their authors.
 */
import { AppError, readProjectSettings, type Feedback, type FeedbackBody, type FeedbackListQuery } from '@accord/core';
import type { Clock } from '../../platform/clock.ts';
import type { ProjectAccess } from '../../platform/http/context.ts';
import type { FeedbackRepo } from './feedback.repo.ts';

const notFound = () => new AppError('not_found', 'No such judgment in this project.');

export function createFeedbackService({ repo, clock }: { repo: FeedbackRepo; clock: Clock }) {
  /** The judgment if the caller may read its feedback: leads and reviewers any, trainers their own. */
  async function visible(a: ProjectAccess, userId: string, judgmentId: string) {
    const j = await repo.judgment(a.project.id, judgmentId);
    if (!j || (a.role === 'trainer' && j.userId !== userId)) throw notFound();
    return j;
  }

  const blindFor = (a: ProjectAccess): boolean => a.role === 'reviewer' && readProjectSettings(a.project.settings).consensus.blind;
  const hideAuthors = (a: ProjectAccess, viewerId: string, items: Feedback[]): Feedback[] =>
    blindFor(a) ? items.map((f) => (f.userId === viewerId ? f : { ...f, userId: null })) : items;

  return {
    async create(a: ProjectAccess, authorId: string, judgmentId: string, body: FeedbackBody): Promise<Feedback> {
      const j = await visible(a, authorId, judgmentId);
      return repo.create({ projectId: a.project.id, judgmentId, userId: j.userId, authorId, text: body.text, rating: body.rating, at: clock() });
    },

    async forJudgment(a: ProjectAccess, userId: string, judgmentId: string): Promise<{ items: Feedback[] }> {
      await visible(a, userId, judgmentId);
      return { items: hideAuthors(a, userId, (await repo.page(a.project.id, { limit: 500, offset: 0, judgmentId })).items) };
    },

    /** Trainers: feedback on their own judgments only, whatever they ask for. */
    async list(a: ProjectAccess, userId: string, q: FeedbackListQuery) {
      if (blindFor(a) && q.userId && q.userId !== userId) throw new AppError('forbidden', 'Adjudication is blind in this project: reviewers do not filter feedback by annotator.');
      const page = await repo.page(a.project.id, { ...q, userId: a.role === 'trainer' ? userId : q.userId });
      return { ...page, items: hideAuthors(a, userId, page.items), limit: q.limit, offset: q.offset };
    },
  };
}

export type FeedbackService = ReturnType<typeof createFeedbackService>;
