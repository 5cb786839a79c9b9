/**
 * The adjudication room as a Yjs document, `dispute:<disputeId>`: what reviewers edit together
 * before a consensus label is committed. The item and its judgments are NOT in the document (the
 * room shows them from the API, read from the database); only the proposal and the discussion are.
 *
 *   'dispute'           Y.Map   scalars: preference (a core `Preference` as plain JSON, replaced
 *                               whole), tag (a dispute tag or absent), seededFrom (what seeded it),
 *                               seededDigest (the seeded proposal's digest: still the seed while equal)
 *   'dispute.scores'    Y.Map   `${dimension}|${responseId ?? ''}` → level value (number)
 *   'dispute.spans'     Y.Array<{ id, responseId, start, end, quote?, category, severity, note }>
 *   'dispute.entities'  Y.Array<{ id, start, end, label, text? }>  a spans project's proposed entity
 *                               spans, one element each (the preference then reads
 *                               `{ kind: 'spans', spans: [] }` plus these)
 *   'dispute.rationale' Y.Text  the rationale, written together (cursors through presence)
 *   'dispute.comments'  Y.Array<{ id, userId, name, text, at }>
 *
 * Scores are keyed so that two reviewers setting different dimensions never overwrite each other;
 * entity spans are elements of their own array for the same reason (two adjudicators marking
 * different entities at once keep both; the same entity marked twice reads once). A room seeded
 * before the array existed holds its spans inside the preference: they read together with the
 * array's, and the first edit moves them into it. Otherwise a preference is one value (setting it twice concurrently keeps one, as a form would). Sign-offs are
 * recorded by the server (REST), each with the `proposalDigest` of the proposal signed: a change to
 * the proposal (preference, scores or spans — not the rationale, tag or comments) makes them stale.
 * Reading is total: ill-typed values (any writer can put anything in) read as absent.
 */
import * as Y from 'yjs';
import { DISPUTE_TAGS, EntitySpanSchema, PreferenceSchema, ScoreSchema, SpanSchema, type DisputeTag, type EntitySpan, type Preference, type Span } from '@accord/core';

export const DISPUTE_ROOTS = {
  settings: 'dispute',
  scores: 'dispute.scores',
  spans: 'dispute.spans',
  rationale: 'dispute.rationale',
  comments: 'dispute.comments',
  entities: 'dispute.entities',
} as const;

export interface ProposalScore {
  dimension: string;
  responseId?: string;
  value: number;
}

/** The proposal as a label is committed from it (canonical response order, like a judgment). */
export interface DisputeProposal {
  preference: Preference | null;
  scores: ProposalScore[];
  spans: Span[];
}

export interface ProposalSpan extends Span {
  /** Stable id within the document (for removal). */
  id: string;
}

export interface DisputeComment {
  id: string;
  userId: string;
  name: string;
  text: string;
  /** ISO time the comment was written (the writer's clock). */
  at: string;
}

export interface DisputeRoom {
  proposal: DisputeProposal;
  spans: ProposalSpan[];
  rationale: string;
  tag: DisputeTag | null;
  comments: DisputeComment[];
  /** Set by the server's seed: the rule whose result seeded the proposal (null: not seeded). */
  seededFrom: string | null;
  /** The seeded proposal's digest: while the proposal's equals it, the room shows the rule's result unchanged. */
  seededDigest: string | null;
}

const roots = (doc: Y.Doc) => ({
  settings: doc.getMap<unknown>(DISPUTE_ROOTS.settings),
  scores: doc.getMap<unknown>(DISPUTE_ROOTS.scores),
  spans: doc.getArray<unknown>(DISPUTE_ROOTS.spans),
  rationale: doc.getText(DISPUTE_ROOTS.rationale),
  comments: doc.getArray<unknown>(DISPUTE_ROOTS.comments),
  entities: doc.getArray<unknown>(DISPUTE_ROOTS.entities),
});

const scoreKey = (dimension: string, responseId?: string) => `${dimension}|${responseId ?? ''}`;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readSpan(v: unknown): ProposalSpan | null {
  if (!isObj(v) || typeof v.id !== 'string') return null;
  const { id, ...rest } = v;
  const r = SpanSchema.safeParse(rest);
  return r.success ? { ...r.data, id } : null;
}

function readComment(v: unknown): DisputeComment | null {
  if (!isObj(v)) return null;
  const { id, userId, name, text, at } = v;
  if (typeof id !== 'string' || typeof userId !== 'string' || typeof name !== 'string' || typeof text !== 'string' || typeof at !== 'string') return null;
  return { id, userId, name, text, at };
}

const entityKey = (s: { start: number; end: number; label: string }) => `${s.start}:${s.end}:${s.label}`;

function readEntity(v: unknown): EntitySpan | null {
  if (!isObj(v)) return null;
  const { id: _id, ...rest } = v;
  const r = EntitySpanSchema.safeParse(rest);
  return r.success ? r.data : null;
}

/**
 * The proposed entity spans (a spans preference's, then the array's) in text order, each
 * (start, end, label) once. Not checked against the item: the commit validates them as a submit.
 */
function readEntities(doc: Y.Doc, inPreference: readonly EntitySpan[]): EntitySpan[] {
  const seen = new Set<string>();
  const all = [...inPreference, ...roots(doc).entities.toArray().map(readEntity)].filter((s): s is EntitySpan => s !== null && !seen.has(entityKey(s)) && Boolean(seen.add(entityKey(s))));
  return all.sort((a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/** The proposal alone (what sign-offs and commits are about), scores and spans in a stable order. */
export function readDisputeProposal(doc: Y.Doc): DisputeProposal {
  const r = roots(doc);
  const parsed = PreferenceSchema.safeParse(r.settings.get('preference'));
  const preference: Preference | null = !parsed.success ? null : parsed.data.kind === 'spans' ? { kind: 'spans', spans: readEntities(doc, parsed.data.spans) } : parsed.data;
  const scores: ProposalScore[] = [];
  for (const [key, value] of r.scores.entries()) {
    const bar = key.lastIndexOf('|');
    if (bar <= 0 || typeof value !== 'number' || !Number.isFinite(value)) continue;
    const dimension = key.slice(0, bar);
    const responseId = key.slice(bar + 1);
    const s = ScoreSchema.safeParse(responseId ? { dimension, responseId, value } : { dimension, value });
    if (s.success) scores.push(s.data);
  }
  scores.sort((a, b) => (a.dimension < b.dimension ? -1 : a.dimension > b.dimension ? 1 : (a.responseId ?? '') < (b.responseId ?? '') ? -1 : (a.responseId ?? '') > (b.responseId ?? '') ? 1 : 0));
  const spans = readSpans(doc)
    .map(({ id: _id, ...s }) => s)
    .sort((a, b) => (a.responseId < b.responseId ? -1 : a.responseId > b.responseId ? 1 : a.start - b.start || a.end - b.end || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0)));
  return { preference, scores, spans };
}

/** Spans in document order; one per id (two nodes seeding one room at once would each add the seed's). */
function readSpans(doc: Y.Doc): ProposalSpan[] {
  const seen = new Set<string>();
  return roots(doc)
    .spans.toArray()
    .map(readSpan)
    .filter((s): s is ProposalSpan => s !== null && !seen.has(s.id) && Boolean(seen.add(s.id)));
}

export function readDispute(doc: Y.Doc): DisputeRoom {
  const r = roots(doc);
  const tag = r.settings.get('tag');
  const seeded = r.settings.get('seededFrom');
  const seededDigest = r.settings.get('seededDigest');
  return {
    proposal: readDisputeProposal(doc),
    spans: readSpans(doc),
    rationale: r.rationale.toString(),
    tag: typeof tag === 'string' && (DISPUTE_TAGS as readonly string[]).includes(tag) ? (tag as DisputeTag) : null,
    comments: r.comments
      .toArray()
      .map(readComment)
      .filter((c): c is DisputeComment => c !== null),
    seededFrom: typeof seeded === 'string' ? seeded : null,
    seededDigest: typeof seededDigest === 'string' ? seededDigest : null,
  };
}

/** True when nothing of a proposal has been set (the server seeds such a room from the rule's result). */
export function isProposalEmpty(doc: Y.Doc): boolean {
  const r = roots(doc);
  return r.settings.get('preference') === undefined && r.scores.size === 0 && r.spans.length === 0 && r.entities.length === 0;
}

// ---- the digest sign-offs record

/** JSON with object keys sorted, so equal proposals always print the same. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * A short digest of a proposal (two 32-bit FNV-1a hashes of its stable JSON, hex): equal proposals
 * give equal digests on the server and in the browser. It detects change; it is not a security
 * measure (who signed is the server's record).
 */
export function proposalDigest(p: DisputeProposal): string {
  const s = stable({ preference: p.preference, scores: p.scores, spans: p.spans });
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
    h2 ^= h2 >>> 15;
  }
  return h1.toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

// ---- writing

/** Sets the preference whole; a spans preference's spans go into the entity array (replacing its spans). */
export function setProposalPreference(doc: Y.Doc, preference: Preference | null): void {
  doc.transact(() => {
    const r = roots(doc);
    if (r.entities.length) r.entities.delete(0, r.entities.length);
    if (preference === null) r.settings.delete('preference');
    else if (preference.kind === 'spans') {
      r.settings.set('preference', { kind: 'spans', spans: [] });
      preference.spans.forEach((s) => r.entities.push([{ ...structuredClone(s), id: entityId(doc) }]));
    } else r.settings.set('preference', structuredClone(preference));
  });
}

const entityId = (doc: Y.Doc) => `e${doc.clientID.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** Spans a room seeded before the entity array kept in its preference: moved into the array (before an edit). */
function moveLegacyEntities(doc: Y.Doc): void {
  const r = roots(doc);
  const p = PreferenceSchema.safeParse(r.settings.get('preference'));
  if (!p.success || p.data.kind !== 'spans' || p.data.spans.length === 0) return;
  r.settings.set('preference', { kind: 'spans', spans: [] });
  p.data.spans.forEach((s) => r.entities.push([{ ...s, id: entityId(doc) }]));
}

/** Adds an entity span to the proposal (making the preference a spans one if it was not). */
export function addProposalEntity(doc: Y.Doc, span: EntitySpan): void {
  doc.transact(() => {
    const r = roots(doc);
    moveLegacyEntities(doc);
    const p = PreferenceSchema.safeParse(r.settings.get('preference'));
    if (!p.success || p.data.kind !== 'spans') r.settings.set('preference', { kind: 'spans', spans: [] });
    r.entities.push([{ ...structuredClone(span), id: entityId(doc) }]);
  });
}

/** Removes the entity span (start, end, label) from the proposal, every copy of it. */
export function removeProposalEntity(doc: Y.Doc, span: { start: number; end: number; label: string }): void {
  doc.transact(() => {
    moveLegacyEntities(doc);
    const arr = roots(doc).entities;
    const items = arr.toArray();
    const key = entityKey(span);
    for (let i = items.length - 1; i >= 0; i--) {
      const e = readEntity(items[i]);
      if (e && entityKey(e) === key) arr.delete(i, 1);
    }
  });
}

/** Sets (or, with null, clears) one score: a per-response dimension names its response. */
export function setProposalScore(doc: Y.Doc, dimension: string, responseId: string | undefined, value: number | null): void {
  const scores = roots(doc).scores;
  const key = scoreKey(dimension, responseId);
  if (value === null) scores.delete(key);
  else scores.set(key, value);
}

export function addProposalSpan(doc: Y.Doc, span: Span & { id?: string }): string {
  const id = span.id ?? `s${doc.clientID.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  roots(doc).spans.push([{ ...structuredClone(span), id }]);
  return id;
}

/** Removes every span with this id (concurrent edits may have duplicated one). */
export function removeProposalSpan(doc: Y.Doc, id: string): void {
  doc.transact(() => {
    const arr = roots(doc).spans;
    const items = arr.toArray();
    for (let i = items.length - 1; i >= 0; i--) if (isObj(items[i]) && (items[i] as { id?: unknown }).id === id) arr.delete(i, 1);
  });
}

export function setDisputeTag(doc: Y.Doc, tag: DisputeTag | null): void {
  const settings = roots(doc).settings;
  if (tag === null) settings.delete('tag');
  else settings.set('tag', tag);
}

/** The shared rationale an editor binds to (y-prosemirror, y-codemirror, a textarea binding). */
export function getRationaleText(doc: Y.Doc): Y.Text {
  return roots(doc).rationale;
}

export function addDisputeComment(doc: Y.Doc, comment: Omit<DisputeComment, 'id'> & { id?: string }): string {
  const id = comment.id ?? `c${doc.clientID.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  roots(doc).comments.push([{ ...comment, id }]);
  return id;
}

/** Replaces the whole proposal in one transaction (the server's seed, or "start from judgment 2"). */
export function writeDisputeProposal(doc: Y.Doc, proposal: DisputeProposal, seededFrom?: string): void {
  doc.transact(() => {
    const r = roots(doc);
    setProposalPreference(doc, proposal.preference);
    for (const key of [...r.scores.keys()]) r.scores.delete(key);
    for (const s of proposal.scores) r.scores.set(scoreKey(s.dimension, s.responseId), s.value);
    r.spans.delete(0, r.spans.length);
    proposal.spans.forEach((s, i) => r.spans.push([{ ...structuredClone(s), id: `seed-${i}` }]));
    if (seededFrom !== undefined) {
      r.settings.set('seededFrom', seededFrom);
      r.settings.set('seededDigest', proposalDigest(readDisputeProposal(doc)));
    }
  });
}
