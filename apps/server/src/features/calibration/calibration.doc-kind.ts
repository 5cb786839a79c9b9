/**
 * A calibration session's shared notes as a live document, `calibration:<sessionId>`: ONLY notes
 * (one Y.Text per item, `notes:<itemId>`; packages/collab/src/shapes/calibration.ts), never a
 * judgment. Participants and the project's leads open it; others are refused. It is writable only
 * while a round is revealed — no discussion channel during a blind round — and frozen once the
 * session has ended (or its project is archived). Phase changes re-resolve open peers through the
 * control bus (`doc:access-changed`, `doc:frozen`). Registered in deps.ts.
 */
import type { DocKindDef } from '../../platform/realtime/doc-kinds.ts';
import type { CalibrationService } from './calibration.service.ts';

export function createCalibrationDocKind(calibration: Pick<CalibrationService, 'projectOf' | 'notesAccess' | 'notesFrozen'>): DocKindDef {
  return {
    prefix: 'calibration',
    projectOf: (id) => calibration.projectOf(id),
    access: ({ userId, role }, { id }) => calibration.notesAccess(id, userId, role),
    frozen: async ({ id, project }) => project.archivedAt !== null || (await calibration.notesFrozen(id)),
  };
}
