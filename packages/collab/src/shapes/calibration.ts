/**
 * A calibration session's shared notes as a Yjs document (`calibration:<sessionId>`): one root
 * Y.Text per item, `notes:<itemId>`, and nothing else — votes never enter this document (they go to
 * the server over REST and are shown only after the reveal). Root types, not entries of a map, so two
 * participants opening an item's notes at once never create competing containers.
 */
import type * as Y from 'yjs';

export const notesKey = (itemId: string) => `notes:${itemId}`;

/** The notes of one item (created on first use; every peer gets the same root text). */
export function itemNotes(doc: Y.Doc, itemId: string): Y.Text {
  return doc.getText(notesKey(itemId));
}
