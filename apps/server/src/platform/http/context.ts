/**
 * Who is calling, as the route table hands it to handlers: the authenticated user (read fresh from
 * the database on every request) and, for project routes, their effective role in that project.
 */
import { AppError, type ProjectRole, type User } from '@accord/core';
import type { projects, users } from '@accord/db';

export type UserRow = typeof users.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;

export interface AuthContext {
  user: UserRow;
  via: 'session' | 'token';
  sessionId: string | null;
  /**
   * When the credential stops authenticating by itself unless used meanwhile: a session's idle or
   * absolute expiry, whichever comes first, as of this read; a token's expiry (null: none). Open
   * sockets re-check their credential from then on (realtime/index.ts).
   */
  validUntil?: Date | null;
}

/**
 * Refuses a request made with an API token: a token cannot mint further tokens or set a password (its
 * owner's or, for an admin, anyone's), so revoking a leaked token ends what it could do.
 */
export function sessionOnly(auth: AuthContext, what: string): void {
  if (auth.via !== 'session') throw new AppError('forbidden', `${what} needs a signed-in session (sign in with your password); an API token cannot do it.`);
}

/** A project row with the caller's membership in it (null role: not a member). */
export interface ProjectWithRole {
  project: ProjectRow;
  role: ProjectRole | null;
  tier: number | null;
  tags: string[] | null;
  /** The member's gates (null for non-members): a lead's pause, and when they passed the qualification. */
  pausedAt?: Date | null;
  pauseReason?: string | null;
  qualifiedAt?: Date | null;
}

/**
 * A project read together with the caller's credential, in the same query (project routes): saves
 * the access check its own round trip. `row` is null when no such project exists.
 */
export interface ProjectLookup {
  projectId: string;
  row: ProjectWithRole | null;
}

export interface ProjectAccess {
  project: ProjectRow;
  /** Effective role; an admin who is not a member acts as lead. */
  role: ProjectRole;
  member: boolean;
  /** The member's tier and domain tags (assignment eligibility); null for non-members. */
  membership: { tier: number; tags: string[]; paused: { at: Date; reason: string } | null; qualifiedAt: Date | null } | null;
}

/** The public view of a user row (never the password hash). */
export function toUser(u: UserRow): User {
  return { id: u.id, email: u.email, name: u.name, isAdmin: u.isAdmin, active: u.active, placeholder: u.placeholder, createdAt: u.createdAt.toISOString() };
}
