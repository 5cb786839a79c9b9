/**
 * Who may open which live document, and how. Answers null when the caller must not learn that the
 * document exists (non-members, unknown ids, kinds not served yet), so a guessed name and a real
 * one get the same refusal.
 */
import { parseDocName } from '@accord/core';
import type { Access } from '@accord/collab';
import type { RealtimeDeps } from './deps.ts';
import type { UserRow } from '../http/context.ts';

export type DocAccess = { ok: true; access: Access; frozen: boolean; projectId: string } | { ok: false; code: 'not_found' | 'forbidden'; message: string };

const NOT_FOUND = { ok: false, code: 'not_found', message: 'No such document.' } as const;

export async function resolveDocAccess(deps: RealtimeDeps, user: Pick<UserRow, 'id' | 'isAdmin'>, name: string): Promise<DocAccess> {
  const parsed = parseDocName(name);
  if (!parsed) return NOT_FOUND;
  if (parsed.kind === 'rubric') {
    const project = await deps.projects.access(user, parsed.id);
    if (!project) return NOT_FOUND;
    // Trainers judge against published versions only; the draft may change under them.
    if (project.role === 'trainer') return { ok: false, code: 'forbidden', message: 'Trainers see published rubric versions, not the draft.' };
    // An archived project is read-only for everyone, its rubric draft included.
    const frozen = project.project.archivedAt !== null;
    return { ok: true, access: frozen ? 'read' : 'write', frozen, projectId: parsed.id };
  }
  // Disputes and calibration sessions get their documents with their own issues.
  return NOT_FOUND;
}

const PALETTE = ['#2563eb', '#db2777', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#dc2626', '#4f46e5', '#059669'];

/** A stable presence colour per user. */
export function userColor(userId: string): string {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}
