/**
 * The live rubric draft as a Yjs document, and its plain-JSON form (validated by core's schema on
 * publish). Layout, chosen so concurrent editing never silently drops work:
 *
 *   'rubric'                Y.Map   scalar settings: justificationMinWords, justificationMaxWords; and, as whole
 *                                   JSON values (last writer wins), rating { levels } and taxonomy { multiLabel, labels }
 *   'rubric.dimensions'     Y.Map   dimension id → Y.Map { id, order, name, description: Y.Text,
 *                                   scale, levels: Y.Array<Y.Map { value, label, anchor: Y.Text, examples? }>,
 *                                   weight, target }
 *   'rubric.precedence'     Y.Array<Y.Map { higher, lower, note: Y.Text }>
 *   'rubric.spanCategories' Y.Array<Y.Map { id, name, description: Y.Text }>
 *   'rubric.flags'          Y.Array<Y.Map { id, name, description: Y.Text }>
 *   'rubric.proposals'      Y.Array<{ id, disputeId, itemId, note, by, at }>  change proposals (a
 *                           dispute tagged `guideline-gap` adds one); not part of the published rubric
 *
 * Collections are root types rather than entries of the 'rubric' map: two editors that both create a
 * missing nested container concurrently would have one container (and its contents) discarded.
 * Dimensions are keyed by id and ordered by a fractional `order`, because Yjs has no move: a
 * delete-and-reinsert would lose a description someone was typing into concurrently.
 * Reading is total: ill-typed values (any writer can put anything in) read as defaults.
 */
import * as Y from 'yjs';

export type RubricScale = { kind: 'binary' } | { kind: 'likert'; min: 1; max: number } | { kind: 'categories'; options: string[] };

export interface RubricLevel {
  value: number;
  label: string;
  anchor: string;
  examples?: string[];
}

export type DimensionTarget = 'response' | 'comparison';

export interface RubricDimension {
  id: string;
  name: string;
  description: string;
  scale: RubricScale;
  levels: RubricLevel[];
  weight: number;
  target: DimensionTarget;
}

export interface PrecedenceRule {
  higher: string;
  lower: string;
  note: string;
}

export interface JustificationPolicy {
  minWords: number;
  maxWords: number;
}

export interface SpanCategory {
  id: string;
  name: string;
  description: string;
}

export interface RubricFlag {
  id: string;
  name: string;
  description: string;
}

/** Rating projects: the ordinal scale, lowest level first. */
export interface RatingScale {
  levels: Array<{ value: number; label: string; anchor: string }>;
}

/** Classification projects: the labels (a parent makes a hierarchy), single- or multi-label. */
export interface Taxonomy {
  multiLabel: boolean;
  /** Spans projects: whether spans may nest or overlap (absent: no). */
  overlap?: boolean;
  labels: Array<{ id: string; name: string; parent: string | null; description: string }>;
}

export interface RubricDraft {
  dimensions: RubricDimension[];
  precedence: PrecedenceRule[];
  justification: JustificationPolicy;
  spanCategories: SpanCategory[];
  flags: RubricFlag[];
  rating?: RatingScale | null;
  taxonomy?: Taxonomy | null;
}

export const RUBRIC_ROOTS = {
  settings: 'rubric',
  dimensions: 'rubric.dimensions',
  precedence: 'rubric.precedence',
  spanCategories: 'rubric.spanCategories',
  flags: 'rubric.flags',
  proposals: 'rubric.proposals',
} as const;

export const DEFAULT_JUSTIFICATION: JustificationPolicy = { minWords: 0, maxWords: 300 };

type YRecord = Y.Map<unknown>;

const roots = (doc: Y.Doc) => ({
  settings: doc.getMap<unknown>(RUBRIC_ROOTS.settings),
  dimensions: doc.getMap<YRecord>(RUBRIC_ROOTS.dimensions),
  precedence: doc.getArray<YRecord>(RUBRIC_ROOTS.precedence),
  spanCategories: doc.getArray<YRecord>(RUBRIC_ROOTS.spanCategories),
  flags: doc.getArray<YRecord>(RUBRIC_ROOTS.flags),
});

// ---- reading

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : v instanceof Y.Text ? v.toString() : fallback);
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const isRecord = (v: unknown): v is YRecord => v instanceof Y.Map;

function readScale(v: unknown): RubricScale {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const s = v as Record<string, unknown>;
    if (s.kind === 'likert' && Number.isInteger(s.max) && (s.max as number) >= 2) return { kind: 'likert', min: 1, max: s.max as number };
    if (s.kind === 'categories' && Array.isArray(s.options)) {
      return { kind: 'categories', options: s.options.filter((o): o is string => typeof o === 'string') };
    }
  }
  return { kind: 'binary' };
}

const plain = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Y.AbstractType) ? (v as Record<string, unknown>) : null);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function readRating(v: unknown): RatingScale | null {
  const r = plain(v);
  if (!r) return null;
  return { levels: list(r.levels).map(plain).filter((l) => l !== null).map((l) => ({ value: num(l.value, 0), label: str(l.label), anchor: str(l.anchor) })) };
}

function readTaxonomy(v: unknown): Taxonomy | null {
  const t = plain(v);
  if (!t) return null;
  return {
    multiLabel: t.multiLabel === true,
    ...(t.overlap === true ? { overlap: true } : {}),
    labels: list(t.labels)
      .map(plain)
      .filter((l) => l !== null)
      .map((l) => ({ id: str(l.id), name: str(l.name), parent: typeof l.parent === 'string' && l.parent ? l.parent : null, description: str(l.description) })),
  };
}

function readLevel(m: YRecord): RubricLevel {
  const level: RubricLevel = { value: num(m.get('value'), 0), label: str(m.get('label')), anchor: str(m.get('anchor')) };
  const examples = m.get('examples');
  if (Array.isArray(examples)) level.examples = examples.filter((e): e is string => typeof e === 'string');
  return level;
}

function readDimension(id: string, m: YRecord): RubricDimension {
  const levels = m.get('levels');
  const target = m.get('target');
  return {
    id,
    name: str(m.get('name')),
    description: str(m.get('description')),
    scale: readScale(m.get('scale')),
    levels: levels instanceof Y.Array ? levels.toArray().filter(isRecord).map(readLevel) : [],
    weight: num(m.get('weight'), 1),
    target: target === 'comparison' ? 'comparison' : 'response',
  };
}

/** Dimensions in display order: by `order`, ties (concurrent inserts at one spot) by id. */
function sortedDimensions(doc: Y.Doc): Array<[string, YRecord]> {
  return [...roots(doc).dimensions.entries()]
    .filter((e): e is [string, YRecord] => isRecord(e[1]))
    .sort(([ida, a], [idb, b]) => num(a.get('order'), 0) - num(b.get('order'), 0) || (ida < idb ? -1 : ida > idb ? 1 : 0));
}

export function readRubricDraft(doc: Y.Doc): RubricDraft {
  const r = roots(doc);
  const named = (m: YRecord) => ({ id: str(m.get('id')), name: str(m.get('name')), description: str(m.get('description')) });
  return {
    dimensions: sortedDimensions(doc).map(([id, m]) => readDimension(id, m)),
    precedence: r.precedence
      .toArray()
      .filter(isRecord)
      .map((m) => ({ higher: str(m.get('higher')), lower: str(m.get('lower')), note: str(m.get('note')) })),
    justification: {
      minWords: num(r.settings.get('justificationMinWords'), DEFAULT_JUSTIFICATION.minWords),
      maxWords: num(r.settings.get('justificationMaxWords'), DEFAULT_JUSTIFICATION.maxWords),
    },
    spanCategories: r.spanCategories.toArray().filter(isRecord).map(named),
    flags: r.flags.toArray().filter(isRecord).map(named),
    rating: readRating(r.settings.get('rating')),
    taxonomy: readTaxonomy(r.settings.get('taxonomy')),
  };
}

// ---- writing

const text = (s: string): Y.Text => {
  const t = new Y.Text();
  if (s) t.insert(0, s);
  return t;
};

const replaceText = (t: Y.Text, s: string): void => {
  if (t.toString() === s) return;
  t.delete(0, t.length);
  t.insert(0, s);
};

function levelMap(level: RubricLevel): YRecord {
  const m = new Y.Map<unknown>();
  m.set('value', level.value);
  m.set('label', level.label);
  m.set('anchor', text(level.anchor));
  if (level.examples) m.set('examples', [...level.examples]);
  return m;
}

function dimensionMap(dim: RubricDimension, order: number): YRecord {
  const m = new Y.Map<unknown>();
  m.set('id', dim.id);
  m.set('order', order);
  m.set('name', dim.name);
  m.set('description', text(dim.description));
  m.set('scale', structuredClone(dim.scale));
  m.set('levels', Y.Array.from(dim.levels.map(levelMap)));
  m.set('weight', dim.weight);
  m.set('target', dim.target);
  return m;
}

function namedMap(item: { id: string; name: string; description: string }): YRecord {
  const m = new Y.Map<unknown>();
  m.set('id', item.id);
  m.set('name', item.name);
  m.set('description', text(item.description));
  return m;
}

function precedenceMap(rule: PrecedenceRule): YRecord {
  const m = new Y.Map<unknown>();
  m.set('higher', rule.higher);
  m.set('lower', rule.lower);
  m.set('note', text(rule.note));
  return m;
}

/** Replaces the whole draft in one transaction, e.g. to start a draft from a published version. */
export function writeRubricDraft(doc: Y.Doc, draft: RubricDraft): void {
  doc.transact(() => {
    const r = roots(doc);
    for (const key of [...r.dimensions.keys()]) r.dimensions.delete(key);
    draft.dimensions.forEach((dim, i) => r.dimensions.set(dim.id, dimensionMap(dim, i + 1)));
    r.precedence.delete(0, r.precedence.length);
    r.precedence.push(draft.precedence.map(precedenceMap));
    r.spanCategories.delete(0, r.spanCategories.length);
    r.spanCategories.push(draft.spanCategories.map(namedMap));
    r.flags.delete(0, r.flags.length);
    r.flags.push(draft.flags.map(namedMap));
    r.settings.set('justificationMinWords', draft.justification.minWords);
    r.settings.set('justificationMaxWords', draft.justification.maxWords);
    if (draft.rating) r.settings.set('rating', structuredClone(draft.rating));
    else r.settings.delete('rating');
    if (draft.taxonomy) r.settings.set('taxonomy', structuredClone(draft.taxonomy));
    else r.settings.delete('taxonomy');
  });
}

/** Sets (or with null removes) the rating scale; the whole scale is one value, the last writer's wins. */
export function setRatingScale(doc: Y.Doc, scale: RatingScale | null): void {
  const settings = roots(doc).settings;
  if (scale) settings.set('rating', structuredClone(scale));
  else settings.delete('rating');
}

/** Sets (or with null removes) the taxonomy; the whole taxonomy is one value, the last writer's wins. */
export function setTaxonomy(doc: Y.Doc, taxonomy: Taxonomy | null): void {
  const settings = roots(doc).settings;
  if (taxonomy) settings.set('taxonomy', structuredClone(taxonomy));
  else settings.delete('taxonomy');
}

/** Levels a scale implies; labels are placeholders the authors overwrite. */
export function levelsForScale(scale: RubricScale): Array<{ value: number; label: string }> {
  switch (scale.kind) {
    case 'binary':
      return [
        { value: 0, label: 'No' },
        { value: 1, label: 'Yes' },
      ];
    case 'likert':
      return Array.from({ length: scale.max }, (_, i) => ({ value: i + 1, label: String(i + 1) }));
    case 'categories':
      return scale.options.map((label, value) => ({ value, label }));
  }
}

/** An `order` strictly between the neighbours at `index`, renumbering when floats run out of room. */
function orderAt(doc: Y.Doc, index: number, excludeId?: string): number {
  const list = sortedDimensions(doc).filter(([id]) => id !== excludeId);
  if (list.length === 0) return 1;
  const at = Math.max(0, Math.min(index, list.length));
  const orders = list.map(([, m]) => num(m.get('order'), 0));
  const before = at > 0 ? orders[at - 1]! : orders[0]! - 2;
  const after = at < orders.length ? orders[at]! : orders[orders.length - 1]! + 2;
  const mid = (before + after) / 2;
  if (mid > before && mid < after) return mid;
  // Equal neighbours (concurrent inserts) or exhausted precision: space everything out again.
  list.forEach(([, m], i) => m.set('order', (i + 1) * 2));
  return at * 2 + 1;
}

const dimension = (doc: Y.Doc, id: string): YRecord => {
  const m = roots(doc).dimensions.get(id);
  if (!isRecord(m)) throw new Error(`no dimension ${id}`);
  return m;
};

/** Inserts a dimension at `index` of the display order (default: last). */
export function addDimension(doc: Y.Doc, dim: RubricDimension, index = Number.POSITIVE_INFINITY): void {
  doc.transact(() => {
    const dims = roots(doc).dimensions;
    if (dims.has(dim.id)) throw new Error(`dimension ${dim.id} exists`);
    dims.set(dim.id, dimensionMap(dim, orderAt(doc, index)));
  });
}

/** Removes a dimension and the precedence rules that mention it (they could not be published). */
export function removeDimension(doc: Y.Doc, id: string): void {
  doc.transact(() => {
    const r = roots(doc);
    r.dimensions.delete(id);
    const rules = r.precedence.toArray();
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i];
      if (isRecord(rule) && (rule.get('higher') === id || rule.get('lower') === id)) r.precedence.delete(i, 1);
    }
  });
}

/** Moves by changing `order` only, so concurrent edits inside the dimension survive the move. */
export function moveDimension(doc: Y.Doc, id: string, toIndex: number): void {
  doc.transact(() => {
    dimension(doc, id).set('order', orderAt(doc, toIndex, id));
  });
}

export type DimensionField = 'name' | 'description' | 'scale' | 'weight' | 'target';

/**
 * Sets one field of a dimension. Changing the scale updates its levels in place, keeping the
 * anchors of levels that still exist (someone may be typing in them).
 */
export function setField<K extends DimensionField>(doc: Y.Doc, id: string, field: K, value: RubricDimension[K]): void {
  doc.transact(() => {
    const m = dimension(doc, id);
    if (field === 'description') {
      const t = m.get('description');
      if (t instanceof Y.Text) replaceText(t, value as string);
      else m.set('description', text(value as string));
    } else if (field === 'scale') {
      const scale = structuredClone(value as RubricScale);
      m.set('scale', scale);
      syncLevels(m, scale);
    } else {
      m.set(field, value);
    }
  });
}

function syncLevels(m: YRecord, scale: RubricScale): void {
  let levels = m.get('levels');
  if (!(levels instanceof Y.Array)) {
    levels = new Y.Array<YRecord>();
    m.set('levels', levels);
  }
  const arr = levels as Y.Array<unknown>;
  const wanted = levelsForScale(scale);
  const wantedValues = new Set(wanted.map((l) => l.value));
  const seen = new Set<number>();
  for (let i = arr.length - 1; i >= 0; i--) {
    const level = arr.get(i);
    const value = isRecord(level) ? level.get('value') : undefined;
    if (typeof value !== 'number' || !wantedValues.has(value) || seen.has(value)) arr.delete(i, 1);
    else seen.add(value);
  }
  wanted.forEach((level, i) => {
    const existing = arr.toArray().find((l) => isRecord(l) && l.get('value') === level.value);
    if (isRecord(existing)) {
      if (scale.kind === 'categories') existing.set('label', level.label);
      return;
    }
    arr.insert(Math.min(i, arr.length), [levelMap({ ...level, anchor: '' })]);
  });
}

/** The shared text an editor binds to (y-prosemirror, y-codemirror), or null if the dimension is gone. */
export function getDimensionText(doc: Y.Doc, id: string): Y.Text | null {
  const m = roots(doc).dimensions.get(id);
  const t = isRecord(m) ? m.get('description') : null;
  return t instanceof Y.Text ? t : null;
}

export function getLevelAnchorText(doc: Y.Doc, id: string, value: number): Y.Text | null {
  const m = roots(doc).dimensions.get(id);
  const levels = isRecord(m) ? m.get('levels') : null;
  if (!(levels instanceof Y.Array)) return null;
  const level = (levels as Y.Array<unknown>).toArray().find((l) => isRecord(l) && l.get('value') === value);
  const t = isRecord(level) ? level.get('anchor') : null;
  return t instanceof Y.Text ? t : null;
}

export function setJustification(doc: Y.Doc, policy: Partial<JustificationPolicy>): void {
  doc.transact(() => {
    const settings = roots(doc).settings;
    if (policy.minWords !== undefined) settings.set('justificationMinWords', policy.minWords);
    if (policy.maxWords !== undefined) settings.set('justificationMaxWords', policy.maxWords);
  });
}

export function addPrecedenceRule(doc: Y.Doc, rule: PrecedenceRule): void {
  roots(doc).precedence.push([precedenceMap(rule)]);
}

export function removePrecedenceRule(doc: Y.Doc, index: number): void {
  const rules = roots(doc).precedence;
  if (index >= 0 && index < rules.length) rules.delete(index, 1);
}

export function addSpanCategory(doc: Y.Doc, category: SpanCategory): void {
  roots(doc).spanCategories.push([namedMap(category)]);
}

export function addFlag(doc: Y.Doc, flag: RubricFlag): void {
  roots(doc).flags.push([namedMap(flag)]);
}

/** Removes every span category or flag with this id (concurrent adds may have duplicated one). */
export function removeNamed(doc: Y.Doc, list: 'spanCategories' | 'flags', id: string): void {
  doc.transact(() => {
    const arr = roots(doc)[list];
    const items = arr.toArray();
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (isRecord(item) && item.get('id') === id) arr.delete(i, 1);
    }
  });
}

// ---- change proposals (from adjudication)

export interface RubricProposal {
  /** Stable id; a dispute's proposal is `dispute:<disputeId>`, so adding it twice is a no-op. */
  id: string;
  disputeId: string | null;
  itemId: string | null;
  note: string;
  /** Who proposed it (a name) and when (ISO). */
  by: string;
  at: string;
}

export function readRubricProposals(doc: Y.Doc): RubricProposal[] {
  return doc
    .getArray<unknown>(RUBRIC_ROOTS.proposals)
    .toArray()
    .filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null && typeof (p as { id?: unknown }).id === 'string')
    .map((p) => ({
      id: p.id as string,
      disputeId: typeof p.disputeId === 'string' ? p.disputeId : null,
      itemId: typeof p.itemId === 'string' ? p.itemId : null,
      note: str(p.note),
      by: str(p.by),
      at: str(p.at),
    }));
}

/** Appends a proposal unless one with its id is there already; answers whether it added one. */
export function addRubricProposal(doc: Y.Doc, proposal: RubricProposal): boolean {
  if (readRubricProposals(doc).some((p) => p.id === proposal.id)) return false;
  doc.getArray<unknown>(RUBRIC_ROOTS.proposals).push([{ ...proposal }]);
  return true;
}

/** Removes the proposal with this id (it has been dealt with); answers whether there was one. */
export function removeRubricProposal(doc: Y.Doc, id: string): boolean {
  const arr = doc.getArray<unknown>(RUBRIC_ROOTS.proposals);
  const index = arr.toArray().findIndex((p) => typeof p === 'object' && p !== null && (p as { id?: unknown }).id === id);
  if (index < 0) return false;
  arr.delete(index, 1);
  return true;
}

// The Yjs draft reads as exactly the JSON shape core validates on publish; this fails to compile if they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const draftMatchesCore: Same<RubricDraft, import('@accord/core').RubricDraft> = true;
