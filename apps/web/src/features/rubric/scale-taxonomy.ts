/**
 * Edits of a rating scale and a taxonomy as the rubric editor makes them. Both live in the draft as
 * whole values (collab's `setRatingScale` / `setTaxonomy`: the last writer's value wins), so every
 * edit here is a pure function from the current value to the next one, and the editor writes the
 * result. `scaleIssues` / `taxonomyIssues` run core's own publish rules on the draft value, so the
 * editor shows the same messages, at the same paths (`rating.levels.2.value`), as publishing would.
 */
import { issuesOf, RatingScaleSchema, TaxonomySchema } from '@accord/core';
import type { RatingScale, Taxonomy } from '@accord/collab';

type Level = RatingScale['levels'][number];
type Label = Taxonomy['labels'][number];

/** Presets a lead starts from (then edits). */
export const SCALE_PRESETS: { name: string; scale: RatingScale }[] = [
  { name: '1–5', scale: { levels: ['Very poor', 'Poor', 'Fair', 'Good', 'Very good'].map((label, i) => ({ value: i + 1, label, anchor: '' })) } },
  { name: '−2…+2', scale: { levels: ['Very negative', 'Negative', 'Neutral', 'Positive', 'Very positive'].map((label, i) => ({ value: i - 2, label, anchor: '' })) } },
];

export const EMPTY_TAXONOMY: Taxonomy = { multiLabel: false, labels: [] };

// ---- the scale

export function setLevel(s: RatingScale, i: number, patch: Partial<Level>): RatingScale {
  return { levels: s.levels.map((l, j) => (j === i ? { ...l, ...patch } : l)) };
}

/** A new highest level: one above the highest value (1 on an empty scale). */
export function addLevel(s: RatingScale): RatingScale {
  const top = s.levels.reduce((m, l) => Math.max(m, l.value), Number.NEGATIVE_INFINITY);
  const value = Number.isFinite(top) ? top + 1 : 1;
  return { levels: [...s.levels, { value, label: `Level ${value}`, anchor: '' }] };
}

export function removeLevel(s: RatingScale, i: number): RatingScale {
  return { levels: s.levels.filter((_, j) => j !== i) };
}

/**
 * Moves a level up or down the scale. Levels run lowest first, so the values move with the places:
 * the two levels swap their labels and anchors and keep the values where they are.
 */
export function moveLevel(s: RatingScale, i: number, by: -1 | 1): RatingScale {
  const j = i + by;
  if (j < 0 || j >= s.levels.length) return s;
  const levels = s.levels.map((l) => ({ ...l }));
  const a = levels[i]!;
  const b = levels[j]!;
  levels[i] = { ...b, value: a.value };
  levels[j] = { ...a, value: b.value };
  return { levels };
}

// ---- the taxonomy

/** A key from a name (letters, digits, - and _, as core's label id allows), unique in `taken`. */
export function labelId(name: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48) || 'label';
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  return id;
}

export function addLabel(t: Taxonomy, name: string, parent: string | null): Taxonomy {
  const clean = name.trim();
  if (!clean) return t;
  const id = labelId(clean, t.labels.map((l) => l.id));
  return { ...t, labels: [...t.labels, { id, name: clean, parent: parent && t.labels.some((l) => l.id === parent) ? parent : null, description: '' }] };
}

/** Changes a label; a new id is carried to the labels under it. */
export function setLabel(t: Taxonomy, i: number, patch: Partial<Label>): Taxonomy {
  const old = t.labels[i];
  if (!old) return t;
  const renamed = patch.id !== undefined && patch.id !== old.id ? patch.id : null;
  return {
    ...t,
    labels: t.labels.map((l, j) => (j === i ? { ...l, ...patch } : renamed !== null && l.parent === old.id ? { ...l, parent: renamed } : l)),
  };
}

/** Removes a label; the labels under it move up to its parent. */
export function removeLabel(t: Taxonomy, i: number): Taxonomy {
  const gone = t.labels[i];
  if (!gone) return t;
  return { ...t, labels: t.labels.filter((_, j) => j !== i).map((l) => (l.parent === gone.id ? { ...l, parent: gone.parent } : l)) };
}

/** Moves a label one place up or down the list (the order trainers see among its siblings, and their number keys). */
export function moveLabel(t: Taxonomy, i: number, by: -1 | 1): Taxonomy {
  const j = i + by;
  if (j < 0 || j >= t.labels.length) return t;
  const labels = [...t.labels];
  [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  return { ...t, labels };
}

/** The labels a label may hang under: any other label that is not below it (no cycles). */
export function parentChoices(t: Taxonomy, i: number): Label[] {
  const self = t.labels[i];
  if (!self) return [];
  const parentOf = new Map(t.labels.map((l) => [l.id, l.parent]));
  const below = (id: string) => {
    const seen = new Set<string>();
    for (let p = parentOf.get(id); p && !seen.has(p); p = parentOf.get(p)) {
      if (p === self.id) return true;
      seen.add(p);
    }
    return false;
  };
  return t.labels.filter((l) => l.id !== self.id && !below(l.id));
}

// ---- core's publish rules on the draft value

function issueMap(issues: { path: string; message: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of issues) out.set(i.path, out.has(i.path) ? `${out.get(i.path)}; ${i.message}` : i.message);
  return out;
}

export function scaleIssues(s: RatingScale | null | undefined): Map<string, string> {
  if (!s) return new Map();
  const r = RatingScaleSchema.safeParse(s);
  return r.success ? new Map() : issueMap(issuesOf(r.error, 'rating'));
}

export function taxonomyIssues(t: Taxonomy | null | undefined): Map<string, string> {
  if (!t) return new Map();
  const r = TaxonomySchema.safeParse(t);
  return r.success ? new Map() : issueMap(issuesOf(r.error, 'taxonomy'));
}
