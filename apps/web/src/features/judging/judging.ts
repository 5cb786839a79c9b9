/**
 * Pure helpers of the judging workspace: reading the published rubric leniently, the pairwise
 * scale, word counting (the same rule as the server), span offsets from a selection, and the
 * payload sent to the API (always by response id, never by screen position).
 */
import type { DraftPayload, JudgmentPayload, Span } from '@accord/core';

export interface RubricLevelView {
  value: number;
  label: string;
  anchor: string;
}
export interface RubricDimensionView {
  id: string;
  name: string;
  description: string;
  target: 'response' | 'comparison';
  levels: RubricLevelView[];
}
export interface NamedView {
  id: string;
  name: string;
  description: string;
}
export interface RubricView {
  version: number;
  dimensions: RubricDimensionView[];
  justification: { minWords: number; maxWords: number };
  spanCategories: NamedView[];
  flags: NamedView[];
}

export const NO_RUBRIC_MAX_WORDS = 5000;

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

function scaleLevels(scale: Record<string, unknown>, levels: RubricLevelView[]): RubricLevelView[] {
  const values =
    scale.kind === 'likert'
      ? Array.from({ length: Math.max(0, num(scale.max, 0)) }, (_, i) => i + 1)
      : scale.kind === 'categories'
        ? arr(scale.options).map((_, i) => i)
        : [0, 1];
  const options = arr(scale.options).map(str);
  return values.map((value, i) => {
    const l = levels.find((x) => x.value === value);
    const fallback = scale.kind === 'categories' ? (options[i] ?? String(value)) : scale.kind === 'binary' ? (value ? 'Yes' : 'No') : String(value);
    return { value, label: l?.label || fallback, anchor: l?.anchor ?? '' };
  });
}

/** The published rubric as the workspace needs it; unknown or ill-typed parts read as empty. */
export function readRubric(ref: { version: number; content: Record<string, unknown> } | null): RubricView | null {
  if (!ref) return null;
  const c = ref.content;
  const named = (v: unknown): NamedView => ({ id: str(rec(v).id), name: str(rec(v).name) || str(rec(v).id), description: str(rec(v).description) });
  const j = rec(c.justification);
  return {
    version: ref.version,
    dimensions: arr(c.dimensions).map((d) => {
      const r = rec(d);
      const levels = arr(r.levels).map((l) => ({ value: num(rec(l).value, NaN), label: str(rec(l).label), anchor: str(rec(l).anchor) }));
      return { id: str(r.id), name: str(r.name) || str(r.id), description: str(r.description), target: r.target === 'comparison' ? 'comparison' : 'response', levels: scaleLevels(rec(r.scale), levels) };
    }),
    justification: { minWords: num(j.minWords, 0), maxWords: num(j.maxWords, NO_RUBRIC_MAX_WORDS) },
    spanCategories: arr(c.spanCategories).map(named),
    flags: arr(c.flags).map(named),
  };
}

/** Words as a reader counts them: runs of letters or digits (the server uses the same rule). */
export function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu)?.length ?? 0;
}

/** The seven pairwise choices, keyed 1–7: value = how much better the right response (B) is. */
export const PAIRWISE_SCALE = [
  { key: '1', value: -3, label: 'A much better' },
  { key: '2', value: -2, label: 'A better' },
  { key: '3', value: -1, label: 'A slightly better' },
  { key: '4', value: 0, label: 'Tie' },
  { key: '5', value: 1, label: 'B slightly better' },
  { key: '6', value: 2, label: 'B better' },
  { key: '7', value: 3, label: 'B much better' },
] as const;

export interface ScoreCell {
  dimension: RubricDimensionView;
  /** Response id, or null for a comparison dimension. */
  responseId: string | null;
}

/** Every score the rubric asks for, in the order Tab walks through them. */
export function scoreCells(rubric: RubricView | null, responseIds: string[]): ScoreCell[] {
  return (rubric?.dimensions ?? []).flatMap((d): ScoreCell[] => (d.target === 'response' ? responseIds.map((id) => ({ dimension: d, responseId: id })) : [{ dimension: d, responseId: null }]));
}

export const cellKey = (dimension: string, responseId: string | null) => `${dimension}|${responseId ?? ''}`;

/**
 * Offsets of a selected text in the response source. Rendering (markdown) may change the text, so
 * the selection must appear verbatim in the source; the occurrence nearest the hint wins.
 */
export function findSpan(source: string, selected: string, hint = 0): { start: number; end: number } | null {
  const text = selected.trim();
  if (!text) return null;
  let best: number | null = null;
  for (let i = source.indexOf(text); i !== -1; i = source.indexOf(text, i + 1)) {
    if (best === null || Math.abs(i - hint) < Math.abs(best - hint)) best = i;
  }
  return best === null ? null : { start: best, end: best + text.length };
}

export interface WorkState {
  taskKind: 'pairwise' | 'ranking';
  /** Screen order of response ids. */
  order: string[];
  pairwise: number | null;
  ranking: string[][];
  scores: Record<string, number>;
  spans: Span[];
  flags: string[];
  justification: string;
}

export function preferenceOf(s: WorkState): JudgmentPayload['preference'] | null {
  if (s.taskKind === 'pairwise') return s.pairwise === null ? null : { kind: 'pairwise', a: s.order[0]!, b: s.order[1]!, value: s.pairwise };
  return s.ranking.length ? { kind: 'ranking', groups: s.ranking.map((g) => [...g]) } : null;
}

export function scoresOf(s: WorkState): JudgmentPayload['scores'] {
  return Object.entries(s.scores).map(([k, value]) => {
    const [dimension, responseId] = k.split('|') as [string, string];
    return responseId ? { dimension, responseId, value } : { dimension, value };
  });
}

export function draftOf(s: WorkState): DraftPayload {
  return { preference: preferenceOf(s), scores: scoresOf(s), spans: s.spans, flags: s.flags, justification: s.justification };
}

/** What is still missing before submitting, in words for the trainer (empty: ready). */
export function missing(s: WorkState, rubric: RubricView | null): string[] {
  const out: string[] = [];
  if (!preferenceOf(s)) out.push(s.taskKind === 'pairwise' ? 'a preference (1–7)' : 'a ranking');
  const cells = scoreCells(rubric, s.order);
  const unscored = cells.filter((c) => s.scores[cellKey(c.dimension.id, c.responseId)] === undefined).length;
  if (unscored) out.push(`${unscored} score${unscored === 1 ? '' : 's'}`);
  const words = countWords(s.justification);
  const min = rubric?.justification.minWords ?? 0;
  if (words < min) out.push(`${min - words} more word${min - words === 1 ? '' : 's'} of justification`);
  return out;
}

/** Moves a response one group up (-1) or down (+1) in a ranking, keeping groups non-empty. */
export function moveInRanking(groups: string[][], id: string, dir: -1 | 1): string[][] {
  const g = groups.map((x) => [...x]);
  const at = g.findIndex((x) => x.includes(id));
  if (at === -1) return g;
  const alone = g[at]!.length === 1;
  g[at] = g[at]!.filter((x) => x !== id);
  const target = at + dir;
  if (alone) {
    // Swap places with the neighbouring group.
    if (target < 0 || target >= g.length) {
      g[at] = [id];
      return g;
    }
    g.splice(at, 1);
    g.splice(dir === -1 ? target : target, 0, [id]);
    return g;
  }
  // Leave a tie: become a group of its own just above or below it.
  g.splice(dir === -1 ? at : at + 1, 0, [id]);
  return g;
}

/** Ties a response with the group above it (or unties it when it is already tied). */
export function toggleTie(groups: string[][], id: string): string[][] {
  const g = groups.map((x) => [...x]);
  const at = g.findIndex((x) => x.includes(id));
  if (at === -1) return g;
  if (g[at]!.length > 1) {
    g[at] = g[at]!.filter((x) => x !== id);
    g.splice(at + 1, 0, [id]);
    return g;
  }
  if (at === 0) return g;
  g.splice(at, 1);
  g[at - 1]!.push(id);
  return g;
}
