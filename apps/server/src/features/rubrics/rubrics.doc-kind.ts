/**
 * The rubric draft as a live document, `rubric:<projectId>`: leads, reviewers and admins write it,
 * trainers are refused (they judge against published versions, never the draft), and it is frozen
 * while its project is archived. Registered in deps.ts.
 */
import type { DocKindDef } from '../../platform/realtime/doc-kinds.ts';

export function createRubricDocKind(): DocKindDef {
  return {
    prefix: 'rubric',
    // The draft's id is its project's id.
    projectOf: (id) => id,
    access: ({ role }) => (role === 'trainer' ? { refuse: 'Trainers see published rubric versions, not the draft.' } : 'write'),
    frozen: ({ project }) => project.archivedAt !== null,
  };
}
