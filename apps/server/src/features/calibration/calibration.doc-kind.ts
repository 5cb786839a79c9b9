/**
 * A calibration session's shared notes as a live document, `calibration:<sessionId>`: ONLY notes
 * (one Y.Text per item, `notes:<itemId>`; packages/collab/src/shapes/calibration.ts), never a
 * judgment. Participants and the project's leads open it; others are refused. It is writable only
 * while a round is revealed — no discussion channel during a blind round — and frozen once the
 * session has ended (or its project is archived). Phase changes re-resolve open peers through the
 * control bus (`doc:access-changed`, `doc:frozen`). Registered in deps.ts.
 *
 * Presence cannot carry a judgment either: while the notes are read-only (lobby, blind rounds, the
 * end) a client's presence is relayed as its server-set identity alone — who is in, nothing else;
 * while a round is revealed, only `field` (a notes key) and `cursor` (an editor selection of Yjs
 * relative positions) are relayed, each checked field by field. Every other field is dropped.
 */
import type { Access } from '@accord/collab';
import type { DocKindDef } from '../../platform/realtime/doc-kinds.ts';
import type { CalibrationService } from './calibration.service.ts';

const NOTES_KEY = /^notes:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** A Yjs item id `{ client, clock }`, rebuilt from its numbers. */
function itemId(v: unknown): { client: number; clock: number } | null | undefined {
  if (v === undefined || v === null) return v;
  if (!isRecord(v) || !isCount(v.client) || !isCount(v.clock)) throw new Error('bad id');
  return { client: v.client, clock: v.clock };
}

/** `Y.relativePositionToJSON` output, rebuilt from the fields it may have (a root type is a notes key). */
function relativePosition(v: unknown): Record<string, unknown> {
  if (!isRecord(v)) throw new Error('bad position');
  const out: Record<string, unknown> = {};
  const type = itemId(v.type);
  const item = itemId(v.item);
  if (type !== undefined) out.type = type;
  if (item !== undefined) out.item = item;
  if (v.tname !== undefined && v.tname !== null) {
    if (typeof v.tname !== 'string' || !NOTES_KEY.test(v.tname)) throw new Error('bad type name');
    out.tname = v.tname;
  }
  if (v.assoc !== undefined) {
    if (!Number.isSafeInteger(v.assoc) || Math.abs(v.assoc as number) > 1) throw new Error('bad assoc');
    out.assoc = v.assoc;
  }
  return out;
}

/** The presence a notes document relays: see the header. Malformed fields are dropped, not refused. */
export function calibrationPresence(state: Record<string, unknown>, access: Access): Record<string, unknown> {
  if (access !== 'write') return {};
  const out: Record<string, unknown> = {};
  if (state.field === null || (typeof state.field === 'string' && NOTES_KEY.test(state.field))) out.field = state.field;
  if (state.cursor === null) out.cursor = null;
  else if (isRecord(state.cursor)) {
    try {
      out.cursor = { anchor: relativePosition(state.cursor.anchor), head: relativePosition(state.cursor.head) };
    } catch {
      // A cursor that is not a selection is dropped.
    }
  }
  return out;
}

export function createCalibrationDocKind(calibration: Pick<CalibrationService, 'projectOf' | 'notesAccess' | 'notesFrozen'>): DocKindDef {
  return {
    prefix: 'calibration',
    projectOf: (id) => calibration.projectOf(id),
    access: ({ userId, role }, { id }) => calibration.notesAccess(id, userId, role),
    frozen: async ({ id, project }) => project.archivedAt !== null || (await calibration.notesFrozen(id)),
    presence: calibrationPresence,
  };
}
