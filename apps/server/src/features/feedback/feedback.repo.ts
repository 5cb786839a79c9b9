/** Feedback on judgments in SQL: the only code of the feedback feature that speaks to the database. */
import { and, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Feedback } from '@accord/core';
import { feedback, judgments, items, users, type Db } from '@accord/db';
import { audit } from '../../platform/audit.ts';

type FeedbackRow = typeof feedback.$inferSelect;

function toFeedback(r: { f: FeedbackRow; itemId: string; prompt: string; author: string | null }): Feedback {
  return {
    id: r.f.id,
    projectId: r.f.projectId,
    judgmentId: r.f.judgmentId,
    itemId: r.itemId,
    userId: r.f.userId,
    text: r.f.text,
    rating: r.f.rating,
    author: { id: r.f.authorId, name: r.author ?? 'Former user' },
    createdAt: r.f.createdAt.toISOString(),
    prompt: r.prompt,
  };
}

export function createFeedbackRepo(db: Db) {
  const select = () =>
    db
      .select({ f: feedback, itemId: judgments.itemId, prompt: sql<string>`left(${items.prompt}, 300)`, author: users.name })
      .from(feedback)
      .innerJoin(judgments, eq(judgments.id, feedback.judgmentId))
      .innerJoin(items, eq(items.id, judgments.itemId))
      .leftJoin(users, eq(users.id, feedback.authorId));

  return {
    /** A submitted judgment of the project: its author and item. */
    async judgment(projectId: string, judgmentId: string): Promise<{ id: string; userId: string; itemId: string } | null> {
      const [j] = await db
        .select({ id: judgments.id, userId: judgments.userId, itemId: judgments.itemId })
        .from(judgments)
        .where(and(eq(judgments.id, judgmentId), eq(judgments.projectId, projectId), eq(judgments.status, 'submitted')));
      return j ?? null;
    },

    async create(v: { projectId: string; judgmentId: string; userId: string; authorId: string; text: string; rating: number | null; at: Date }): Promise<Feedback> {
      const id = await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(feedback)
          .values({ projectId: v.projectId, judgmentId: v.judgmentId, userId: v.userId, authorId: v.authorId, text: v.text, rating: v.rating, createdAt: v.at })
          .returning({ id: feedback.id });
        await audit(tx, { actorId: v.authorId, action: 'feedback.created', projectId: v.projectId, target: v.userId, details: { judgmentId: v.judgmentId, rating: v.rating } });
        return row!.id;
      });
      const [r] = await select().where(eq(feedback.id, id));
      return toFeedback(r!);
    },

    async page(projectId: string, q: { limit: number; offset: number; userId?: string | undefined; judgmentId?: string | undefined }): Promise<{ items: Feedback[]; total: number }> {
      const where: SQL[] = [eq(feedback.projectId, projectId)];
      if (q.userId) where.push(eq(feedback.userId, q.userId));
      if (q.judgmentId) where.push(eq(feedback.judgmentId, q.judgmentId));
      const cond = and(...where);
      const rows = await select().where(cond).orderBy(desc(feedback.createdAt), desc(feedback.id)).limit(q.limit).offset(q.offset);
      const [total] = await db.select({ n: count() }).from(feedback).where(cond);
      return { items: rows.map(toFeedback), total: total?.n ?? 0 };
    },
  };
}

export type FeedbackRepo = ReturnType<typeof createFeedbackRepo>;
