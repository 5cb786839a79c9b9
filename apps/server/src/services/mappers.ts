import type { ApiToken, Item, Member, Project, ProjectRole, User } from '@accord/core';
import type { apiTokens, items, projects, users } from '@accord/db';

type UserRow = typeof users.$inferSelect;
type TokenRow = typeof apiTokens.$inferSelect;
type ProjectRow = typeof projects.$inferSelect;
type ItemRow = typeof items.$inferSelect;

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function toUser(u: UserRow): User {
  return { id: u.id, email: u.email, name: u.name, isAdmin: u.isAdmin, active: u.active, placeholder: u.placeholder, createdAt: iso(u.createdAt) };
}

export function toApiToken(t: TokenRow): ApiToken {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: iso(t.createdAt),
    lastUsedAt: isoOrNull(t.lastUsedAt),
    expiresAt: isoOrNull(t.expiresAt),
    revokedAt: isoOrNull(t.revokedAt),
  };
}

export function toProject(p: ProjectRow, myRole: ProjectRole, counts: { members: number; items: number }): Project {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    taskKind: p.taskKind,
    archived: p.archivedAt !== null,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    myRole,
    counts,
  };
}

export function toMember(m: { userId: string; email: string; name: string; role: ProjectRole; active: boolean; createdAt: Date; tier: number; tags: string[] }): Member {
  return { userId: m.userId, email: m.email, name: m.name, role: m.role, active: m.active, addedAt: iso(m.createdAt), tier: m.tier, tags: m.tags };
}

export function toItem(i: ItemRow, showGold: boolean): Item {
  return {
    id: i.id,
    projectId: i.projectId,
    externalId: i.externalId,
    prompt: i.prompt,
    context: i.context,
    responses: i.responses,
    reference: i.reference,
    gold: showGold ? (i.gold ?? null) : null,
    metadata: i.metadata,
    createdAt: iso(i.createdAt),
  };
}
