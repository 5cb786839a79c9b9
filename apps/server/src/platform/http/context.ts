/**
 * Who is calling, as the route table hands it to handlers: the authenticated user (read fresh from
 * the database on every request) and, for project routes, their effective role in that project.
 */
import type { ProjectRole, User } from '@accord/core';
import type { projects, users } from '@accord/db';

export type UserRow = typeof users.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;

export interface AuthContext {
  user: UserRow;
  via: 'session' | 'token';
  sessionId: string | null;
}

export interface ProjectAccess {
  project: ProjectRow;
  /** Effective role; an admin who is not a member acts as lead. */
  role: ProjectRole;
  member: boolean;
  /** The member's tier and domain tags (assignment eligibility); null for non-members. */
  membership: { tier: number; tags: string[] } | null;
}

/** The public view of a user row (never the password hash). */
export function toUser(u: UserRow): User {
  return { id: u.id, email: u.email, name: u.name, isAdmin: u.isAdmin, active: u.active, placeholder: u.placeholder, createdAt: u.createdAt.toISOString() };
}
