/**
 * Reading a published rubric version the way a judging screen needs it: every dimension with its
 * scale's levels in order (value, label, anchor), the justification policy and the span categories
 * and flags. Lenient on purpose: a stored version is shown even if a later rule would refuse part
 * of it, so unknown or ill-typed parts read as empty and missing labels fall back to the scale
 * (category name, Yes/No, the number). `RubricSchema` is the strict shape publishing requires.
 */
import { NO_RUBRIC_MAX_WORDS } from './rules.ts';

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
  /** One per scale point, in scale order (binary 0,1; Likert 1..k; categories 0..n-1). */
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
  /** Rating projects: the scale, lowest level first (null: none in this version). */
  rating: { levels: RubricLevelView[] } | null;
  /** Classification projects: the taxonomy (a label's parent: null at the top). */
  taxonomy: { multiLabel: boolean; overlap: boolean; labels: Array<NamedView & { parent: string | null }> } | null;
}

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** The levels of a scale in order, labelled from the rubric's levels where it has them. */
export function scaleLevels(scale: Record<string, unknown>, levels: RubricLevelView[]): RubricLevelView[] {
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

/** A published rubric version as a judging screen needs it; null when none is published. */
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
    rating: c.rating && typeof c.rating === 'object'
      ? { levels: arr(rec(c.rating).levels).map((l) => ({ value: num(rec(l).value, NaN), label: str(rec(l).label) || String(rec(l).value), anchor: str(rec(l).anchor) })) }
      : null,
    taxonomy: c.taxonomy && typeof c.taxonomy === 'object'
      ? {
          multiLabel: rec(c.taxonomy).multiLabel === true,
          overlap: rec(c.taxonomy).overlap === true,
          labels: arr(rec(c.taxonomy).labels).map((l) => ({ ...named(l), parent: typeof rec(l).parent === 'string' ? (rec(l).parent as string) : null })),
        }
      : null,
  };
}
