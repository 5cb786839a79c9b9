/** Small edits of the live rubric draft that @accord/collab's mutators do not cover (level labels and examples, list items, notes). */
import * as Y from 'yjs';
import { RUBRIC_ROOTS } from '@accord/collab';
import type { RubricDraft } from '@accord/core';

export function setLevelLabel(doc: Y.Doc, dimensionId: string, value: number, label: string): void {
  levelMap(doc, dimensionId, value)?.set('label', label);
}

/** Field paths of publish errors (`dimensions.2.levels.0.anchor`) → messages. */
export function errorsByPath(details: Array<{ path: string; message: string }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of details) out.set(d.path, out.has(d.path) ? `${out.get(d.path)}; ${d.message}` : d.message);
  return out;
}

export const newId = (name: string): string =>
  (name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'item') + '-' + Math.random().toString(36).slice(2, 6);

const replaceText = (t: Y.Text, s: string): void => {
  if (t.toString() === s) return;
  t.delete(0, t.length);
  t.insert(0, s);
};

function levelMap(doc: Y.Doc, dimensionId: string, value: number): Y.Map<unknown> | null {
  const dim = doc.getMap<unknown>(RUBRIC_ROOTS.dimensions).get(dimensionId);
  const levels = dim instanceof Y.Map ? dim.get('levels') : null;
  if (!(levels instanceof Y.Array)) return null;
  const level = (levels as Y.Array<unknown>).toArray().find((l) => l instanceof Y.Map && l.get('value') === value);
  return level instanceof Y.Map ? (level as Y.Map<unknown>) : null;
}

/** Examples of a level, one per non-empty line. */
export function setLevelExamples(doc: Y.Doc, dimensionId: string, value: number, text: string): void {
  const examples = text.split('\n').map((s) => s.trim()).filter(Boolean);
  const level = levelMap(doc, dimensionId, value);
  if (!level) return;
  if (examples.length === 0) level.delete('examples');
  else level.set('examples', examples);
}

/** Renames or re-describes the span category or flag at `index`. */
export function setNamed(doc: Y.Doc, list: 'spanCategories' | 'flags', index: number, field: 'name' | 'description', value: string): void {
  const item = doc.getArray<unknown>(RUBRIC_ROOTS[list]).get(index);
  if (!(item instanceof Y.Map)) return;
  doc.transact(() => {
    const cur = item.get(field);
    if (field === 'description' && cur instanceof Y.Text) replaceText(cur, value);
    else item.set(field, value);
  });
}

export function setPrecedenceNote(doc: Y.Doc, index: number, note: string): void {
  const rule = doc.getArray<unknown>(RUBRIC_ROOTS.precedence).get(index);
  if (!(rule instanceof Y.Map)) return;
  const cur = rule.get('note');
  doc.transact(() => {
    if (cur instanceof Y.Text) replaceText(cur, note);
    else rule.set('note', note);
  });
}

const FIELD_WORDS: Record<string, string> = {
  name: 'name',
  description: 'description',
  anchor: 'anchor',
  label: 'label',
  examples: 'examples',
  weight: 'weight',
  levels: 'levels',
  scale: 'scale',
  min: 'minimum',
  max: 'maximum',
  options: 'options',
  target: 'target',
  higher: 'higher',
  lower: 'lower',
  note: 'note',
  minWords: 'minimum words',
  maxWords: 'maximum words',
};
const words = (parts: string[]): string => parts.map((p) => FIELD_WORDS[p] ?? p).join(' ');

/**
 * A publish error's path in words, for people: `dimensions.2.name` → "Dimension 3 (“Safety”) — name",
 * `dimensions.0.levels.4.anchor` → "Dimension 1 — level 5 anchor", `justification.minWords` →
 * "Justification — minimum words".
 */
export function describeRubricPath(path: string, draft: RubricDraft | null): string {
  const parts = path.split('.');
  const [root, index, ...rest] = parts;
  const n = Number(index);
  const numbered = index !== undefined && Number.isInteger(n);
  if (root === 'dimensions' && numbered) {
    const name = draft?.dimensions[n]?.name.trim();
    let field = rest;
    let level = '';
    if (rest[0] === 'levels' && rest[1] !== undefined && Number.isInteger(Number(rest[1]))) {
      const value = draft?.dimensions[n]?.levels[Number(rest[1])]?.value;
      level = `level ${value ?? Number(rest[1]) + 1}`;
      field = rest.slice(2);
    }
    const what = [level, words(field)].filter(Boolean).join(' ');
    return `Dimension ${n + 1}${name ? ` (“${name}”)` : ''}${what ? ` — ${what}` : ''}`;
  }
  // rating.levels.2.label → "Rating scale — level 3 label"; taxonomy.labels.1.parent → "Taxonomy — label 2 (“Insult”) parent".
  if ((root === 'rating' && index === 'levels') || (root === 'taxonomy' && index === 'labels')) {
    const k = Number(rest[0]);
    if (rest[0] !== undefined && Number.isInteger(k)) {
      const name = root === 'taxonomy' ? draft?.taxonomy?.labels[k]?.name.trim() : '';
      const what = words(rest.slice(1));
      return `${root === 'rating' ? 'Rating scale — level' : 'Taxonomy — label'} ${k + 1}${name ? ` (“${name}”)` : ''}${what ? ` ${what}` : ''}`;
    }
  }
  const LISTS: Record<string, string> = { precedence: 'Precedence rule', spanCategories: 'Span category', flags: 'Flag' };
  if (root && LISTS[root] && numbered) return `${LISTS[root]} ${n + 1}${rest.length ? ` — ${words(rest)}` : ''}`;
  const ROOTS: Record<string, string> = { dimensions: 'Dimensions', precedence: 'Precedence rules', spanCategories: 'Span categories', flags: 'Flags', justification: 'Justification', rating: 'Rating scale', taxonomy: 'Taxonomy' };
  const head = ROOTS[root ?? ''] ?? (root || 'Rubric');
  const tail = parts.slice(1);
  return tail.length ? `${head} — ${words(tail)}` : head;
}
