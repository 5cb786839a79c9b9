/** Small edits of the live rubric draft that @accord/collab's mutators do not cover (level labels). */
import * as Y from 'yjs';
import { RUBRIC_ROOTS } from '@accord/collab';

export function setLevelLabel(doc: Y.Doc, dimensionId: string, value: number, label: string): void {
  const dim = doc.getMap<unknown>(RUBRIC_ROOTS.dimensions).get(dimensionId);
  const levels = dim instanceof Y.Map ? dim.get('levels') : null;
  if (!(levels instanceof Y.Array)) return;
  const level = (levels as Y.Array<unknown>).toArray().find((l) => l instanceof Y.Map && l.get('value') === value);
  if (level instanceof Y.Map) level.set('label', label);
}

/** Field paths of publish errors (`dimensions.2.levels.0.anchor`) → messages. */
export function errorsByPath(details: Array<{ path: string; message: string }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of details) out.set(d.path, out.has(d.path) ? `${out.get(d.path)}; ${d.message}` : d.message);
  return out;
}

export const newId = (name: string): string =>
  (name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'item') + '-' + Math.random().toString(36).slice(2, 6);
