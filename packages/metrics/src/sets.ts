/**
 * Agreement on set-valued annotations (multi-label classification): each rater gives a unit a set
 * of labels.
 * - MASI distance (R. Passonneau, "Measuring Agreement on Set-valued Items (MASI) for Semantic and
 *   Pragmatic Annotation", LREC 2006): δ(A, B) = 1 − J·M with Jaccard J = |A∩B| / |A∪B| and
 *   monotonicity M = 1 when A = B, 2/3 when one is a subset of the other, 1/3 when they merely
 *   intersect, 0 when disjoint. (NLTK's `masi_distance` rounds M to 0.67 and 0.33.) Two empty sets
 *   are identical (distance 0).
 * - `setAlpha`: Krippendorff's α with a set distance (MASI by default) over the coincidences of
 *   distinct sets, α = 1 − (n−1)·Σ o_ck δ_ck / Σ n_c n_k δ_ck, as NLTK's `AnnotationTask(distance=
 *   masi_distance).alpha()` computes it (Passonneau 2006 §3).
 * - `labelAlphas`: each label as a binary nominal variable (the rater chose it or not) over the
 *   units; Krippendorff's α nominal of each.
 */
import { krippendorffAlpha, krippendorffAlphaFromCoincidences } from './krippendorff.ts';
import { compareLabels, MetricsError, sortedDistinct, type Label } from './labels.ts';

export type LabelSet = readonly Label[];
/** Units (items) × raters; `null` (or a hole / `undefined`) = missing. */
export type SetRatings = readonly (readonly (LabelSet | null | undefined)[])[];

/** Passonneau's monotonicity: identical, subset, overlapping, disjoint. */
export function masiDistance(a: Iterable<Label>, b: Iterable<Label>): number {
  const x = new Set(a);
  const y = new Set(b);
  let inter = 0;
  for (const v of x) if (y.has(v)) inter++;
  const union = x.size + y.size - inter;
  if (union === 0) return 0;
  const m = inter === x.size && inter === y.size ? 1 : inter === Math.min(x.size, y.size) ? 2 / 3 : inter > 0 ? 1 / 3 : 0;
  return 1 - (inter / union) * m;
}

/** Jaccard distance 1 − |A∩B| / |A∪B| (0 for two empty sets). */
export function jaccardDistance(a: Iterable<Label>, b: Iterable<Label>): number {
  const x = new Set(a);
  const y = new Set(b);
  let inter = 0;
  for (const v of x) if (y.has(v)) inter++;
  const union = x.size + y.size - inter;
  return union === 0 ? 0 : 1 - inter / union;
}

/** A set's canonical key: its distinct labels sorted, as JSON. */
export function setKey(s: LabelSet): string {
  return JSON.stringify([...new Set(s)].sort(compareLabels));
}

export interface SetAlphaOptions {
  /** Distance between two sets, 0 for equal sets (default: MASI). */
  readonly distance?: (a: LabelSet, b: LabelSet) => number;
}

/**
 * Krippendorff's α over set-valued ratings with a set distance (MASI unless given). Units with fewer
 * than two sets are not pairable; null when α is undefined (no pairable values, or no expected
 * disagreement: every value the same set).
 */
export function setAlpha(ratings: SetRatings, options: SetAlphaOptions = {}): number | null {
  const distance = options.distance ?? masiDistance;
  const index = new Map<string, number>();
  const sets: LabelSet[] = [];
  const unitCounts: Map<number, number>[] = [];
  for (const row of ratings) {
    const counts = new Map<number, number>();
    for (const s of row) {
      if (s === null || s === undefined) continue;
      if (!Array.isArray(s)) throw new MetricsError('setAlpha: a rating must be an array of labels or null');
      const labels = sortedDistinct(s as LabelSet, 'setAlpha');
      const key = JSON.stringify(labels);
      let c = index.get(key);
      if (c === undefined) {
        c = sets.length;
        index.set(key, c);
        sets.push(labels);
      }
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    unitCounts.push(counts);
  }
  const k = sets.length;
  const o = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const counts of unitCounts) addUnitCoincidences(o, counts);
  const d = sets.map((a) => sets.map((b) => distance(a, b)));
  return krippendorffAlphaFromCoincidences(
    sets.map((_, i) => i),
    o,
    (a, b) => d[a]![b]!,
  );
}

/**
 * Adds one unit's coincidences (o_ck += n_c·n_k/(m−1), o_cc += n_c(n_c−1)/(m−1)) for its value
 * counts; a unit with fewer than two values adds nothing.
 */
export function addUnitCoincidences(o: number[][], counts: ReadonlyMap<number, number>): void {
  let m = 0;
  for (const n of counts.values()) m += n;
  if (m < 2) return;
  for (const [c, nc] of counts)
    for (const [k, nk] of counts) o[c]![k]! += (c === k ? nc * (nc - 1) : nc * nk) / (m - 1);
}

export interface LabelAlpha {
  label: Label;
  /** Krippendorff's α nominal of "chose the label or not" (null when undefined, e.g. nobody or everybody chose it). */
  alpha: number | null;
  /** Ratings (sets) that contain the label. */
  picked: number;
}

/**
 * Per-label agreement: each label as a binary nominal variable over the units (1 when the rater's
 * set contains it). `labels`: the labels to report, in this order (default: every label seen, sorted).
 */
export function labelAlphas(ratings: SetRatings, labels?: readonly Label[]): LabelAlpha[] {
  const seen: Label[] = [];
  for (const row of ratings) for (const s of row) if (s) seen.push(...s);
  const list = labels ?? sortedDistinct(seen, 'labelAlphas');
  return list.map((label) => {
    let picked = 0;
    const binary = ratings.map((row) =>
      row.map((s) => {
        if (s === null || s === undefined) return null;
        const has = s.includes(label);
        if (has) picked++;
        return has ? 1 : 0;
      }),
    );
    return { label, alpha: krippendorffAlpha(binary, { level: 'nominal', categories: [0, 1] }), picked };
  });
}
