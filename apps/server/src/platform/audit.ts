/** The audit log: who did what to which project or target. Written inside the caller's transaction when it has one. */
import type { Db, Tx } from '@accord/db';
import { auditLog } from '@accord/db';

export interface AuditEntry {
  actorId: string | null;
  action: string;
  projectId?: string | null;
  target?: string | null;
  details?: Record<string, unknown>;
}

export async function audit(db: Db | Tx, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actorId: entry.actorId,
    action: entry.action,
    projectId: entry.projectId ?? null,
    target: entry.target ?? null,
    details: entry.details ?? {},
  });
}
