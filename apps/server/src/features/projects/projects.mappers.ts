/** Project, member and item rows → the API's shapes. */
import type { Item, Member, Project, ProjectRole } from '@accord/core';
import type { items, projects } from '@accord/db';

type ProjectRow = typeof projects.$inferSelect;
type ItemRow = typeof items.$inferSelect;

const iso = (d: Date) => d.toISOString();

export function toProject(p: ProjectRow, myRole: ProjectRole, counts: { members: number; models: number; items: number }): Project {
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
    work: null,
  };
}

/** The member's gates (pause, calibration, qualification), when the row was read with them. */
export interface MemberGates {
  pausedAt?: Date | null;
  pauseReason?: string;
  pausedBy?: string | null;
  calibrationAt?: Date | null;
  calibrationNote?: string;
  calibrationBy?: string | null;
  qualifiedAt?: Date | null;
}

export function toMember(m: { userId: string; email: string; name: string; role: ProjectRole; active: boolean; createdAt: Date; tier: number; tags: string[]; kind: 'human' | 'model' } & MemberGates): Member {
  return {
    userId: m.userId,
    email: m.email,
    name: m.name,
    role: m.role,
    active: m.active,
    addedAt: iso(m.createdAt),
    tier: m.tier,
    tags: m.tags,
    kind: m.kind,
    paused: m.pausedAt ? { at: iso(m.pausedAt), reason: m.pauseReason ?? '', by: m.pausedBy ?? null } : null,
    calibration: m.calibrationAt ? { at: iso(m.calibrationAt), note: m.calibrationNote ?? '', by: m.calibrationBy ?? null } : null,
    qualifiedAt: m.qualifiedAt ? iso(m.qualifiedAt) : null,
  };
}

/** An item's agreement figures (features/quality keeps them per item). */
export interface ItemQuality {
  judgments: number;
  agreement: number | null;
  spread: number | null;
  /** Its current consensus label and open dispute (features/consensus writes them). */
  consensus: Item['consensus'];
  dispute: Item['dispute'];
  flagged: number;
}

export function toItem(i: ItemRow, showGold: boolean, quality: ItemQuality = { judgments: 0, agreement: null, spread: null, consensus: null, dispute: null, flagged: 0 }): Item {
  return {
    id: i.id,
    projectId: i.projectId,
    externalId: i.externalId,
    prompt: i.prompt,
    context: i.context,
    responses: i.responses,
    reference: i.reference,
    // Stored only as imports validated it (`ImportItemSchema.gold`): a `{ preference }` object.
    gold: showGold ? ((i.gold ?? null) as Item['gold']) : null,
    metadata: i.metadata,
    createdAt: iso(i.createdAt),
    ...quality,
  };
}
