/**
 * Who may open which live document, and how — generic over document kinds (doc-kinds.ts). Answers
 * `not_found` when the caller must not learn that the document exists (non-members, unknown ids,
 * kinds not registered, trainers asking for a dispute), so a guessed name and a real one get the same refusal. The user passed in
 * must be read fresh from the database (never the copy taken at the socket's handshake).
 */
import type { Access } from '@accord/collab';
import type { RealtimeDeps } from './deps.ts';
import type { AuthContext, UserRow } from '../http/context.ts';

export type DocAccess = { ok: true; access: Access; frozen: boolean; projectId: string } | { ok: false; code: 'not_found' | 'forbidden'; message: string };

const NOT_FOUND = { ok: false, code: 'not_found', message: 'No such document.' } as const;

export async function resolveDocAccess(deps: Pick<RealtimeDeps, 'docKinds' | 'projects'>, user: Pick<UserRow, 'id' | 'isAdmin' | 'active'>, name: string): Promise<DocAccess> {
  if (!user.active) return NOT_FOUND;
  const r = deps.docKinds.resolve(name);
  if (!r) return NOT_FOUND;
  const projectId = await r.kind.projectOf(r.id);
  if (!projectId) return NOT_FOUND;
  const project = await deps.projects.access(user, projectId);
  if (!project) return NOT_FOUND;
  const decided = await r.kind.access({ userId: user.id, isAdmin: user.isAdmin, role: project.role, member: project.member }, { id: r.id, project: project.project });
  if (decided === 'not_found') return NOT_FOUND;
  if (typeof decided === 'object') return { ok: false, code: 'forbidden', message: decided.refuse };
  const frozen = await r.kind.frozen({ id: r.id, project: project.project });
  return { ok: true, access: frozen ? 'read' : decided, frozen, projectId };
}

/**
 * A connection's session (or API token) and its user, read from the database now; null once it no
 * longer authenticates (session ended or expired, token revoked, user deactivated). The fresh copy
 * replaces the one the connection holds (presence names, and the credential's new `validUntil`).
 */
export async function readAuth(deps: Pick<RealtimeDeps, 'auth'>, data: { cookie: string | null; token: string | null; auth: AuthContext }): Promise<AuthContext | null> {
  const { cookie, token } = data;
  const auth = cookie ? await deps.auth.fromCookie(cookie) : token ? await deps.auth.fromToken(token) : null;
  if (!auth || !auth.user.active) return null;
  data.auth = auth;
  return auth;
}

const PALETTE = ['#2563eb', '#db2777', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#dc2626', '#4f46e5', '#059669'];

/** A stable presence colour per user. */
export function userColor(userId: string): string {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}
