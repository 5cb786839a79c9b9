/**
 * Entity spans on an item's text, as the judging form marks them: the words a keyboard selection
 * moves by, the check that a new span fits the taxonomy's overlap rule, and the segments the text
 * is drawn in (each with the spans covering it). Offsets are UTF-16 indices into the text exactly as
 * stored (shown verbatim, whitespace kept), end exclusive — the same offsets the server checks.
 */
import type { EntitySpan } from '@accord/core';

/**
 * What the span marker and the span list work on: a trainer's judging form, or an adjudication
 * room's proposal (whose spans live in the room's shared document).
 */
export interface EntityForm {
  readonly editable: boolean;
  /** The text the offsets point into. */
  readonly entityText: string;
  /** The marked spans, in text order. */
  readonly entities: readonly EntitySpan[];
  entitySel: { start: number; end: number } | null;
  entityMessage: string;
  readonly entityTypes: { id: string; name: string; description: string }[];
  readonly entityOverlap: boolean;
  addEntity(label: string): boolean;
  pickEntityType(d: number): boolean;
  removeEntity(i: number): void;
  entityTypeName(id: string): string;
}

export interface Word {
  start: number;
  end: number;
}

/** Words for keyboard selection: runs of letters, marks and digits, or one other non-space character. */
export function wordsOf(text: string): Word[] {
  return [...text.matchAll(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

/**
 * The span a form's selection would add with this type, with its text, checked against the form's
 * spans; null when it cannot be added, with the reason in the form's message (both forms, the
 * trainer's and the dispute room's, then store it their own way).
 */
export function spanToAdd(form: EntityForm, label: string, sel = form.entitySel): EntitySpan | null {
  if (!sel) {
    form.entityMessage = 'Select some text first (drag with the mouse, or Shift+arrows in the text).';
    return null;
  }
  const add = { start: sel.start, end: sel.end, label };
  const problem = entityProblem(form.entities, add, form.entityOverlap);
  form.entityMessage = problem ?? '';
  return problem ? null : { ...add, text: form.entityText.slice(add.start, add.end) };
}

/** Why a span cannot be added (null: it can). */
export function entityProblem(spans: readonly EntitySpan[], add: { start: number; end: number; label: string }, overlap: boolean): string | null {
  if (add.end <= add.start) return 'Select some text first.';
  if (spans.some((s) => s.start === add.start && s.end === add.end && s.label === add.label)) return 'That span is marked already.';
  const clash = overlap ? undefined : spans.find((s) => s.start < add.end && add.start < s.end);
  if (clash) return `It overlaps “${clash.text ?? ''}” (${clash.label}); spans may not nest or overlap in this project.`;
  return null;
}

/** A span added in text order. */
export function withEntity(spans: readonly EntitySpan[], add: EntitySpan): EntitySpan[] {
  return [...spans, add].sort((a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

export interface Segment {
  start: number;
  end: number;
  /** Indices of the spans covering the segment, outermost first. */
  covering: number[];
  /** Indices of the spans that end with this segment (their type is shown after it). */
  ending: number[];
}

/** The text cut at every span boundary (and at the selection's), so each piece has one set of covering spans. */
export function segmentsOf(length: number, spans: readonly { start: number; end: number }[], cuts: readonly number[] = []): Segment[] {
  const at = new Set<number>([0, length, ...cuts.filter((c) => c > 0 && c < length)]);
  for (const s of spans) {
    if (s.start < length) at.add(s.start);
    if (s.end <= length) at.add(s.end);
  }
  const points = [...at].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    const covering = spans
      .map((s, k) => ({ s, k }))
      .filter(({ s }) => s.start <= start && end <= s.end)
      .sort((a, b) => a.s.start - b.s.start || b.s.end - a.s.end)
      .map(({ k }) => k);
    const ending = spans.map((s, k) => ({ s, k })).filter(({ s }) => s.end === end && s.start < end).map(({ k }) => k);
    out.push({ start, end, covering, ending });
  }
  return out;
}
