import type { Db, Tx } from '@accord/db';
import { auditLog } from '@accord/db';

export async function audit(
  db: Db | Tx,
  entry: { actorId: string | null; action: string; projectId?: string | null; target?: string | null; details?: Record<string, unknown> },
): Promise<void> {
  await db.insert(auditLog).values({
    actorId: entry.actorId,
    action: entry.action,
    projectId: entry.projectId ?? null,
    target: entry.target ?? null,
    details: entry.details ?? {},
  });
}
