/**
 * Agreement of a judgment with gold, as qualification scores it: the share of response pairs that the
 * judgment orders as gold does (better, tie or worse). For a pairwise item that is one pair, so an
 * answer agrees (1) or not (0) on the 3-way view (first better / tie / second better); the strength
 * of a graded preference does not count. For rankings, each pair of responses counts once. A rating or
 * a classification agrees (1) or not (0): the same level, the same set of labels; spans the same set of spans.
 */
import type { Preference } from '../schemas/work.ts';

/** +1: x is preferred over y; 0: tie; −1: y is preferred; null: the preference does not relate them. */
export function relation(pref: Preference, x: string, y: string): -1 | 0 | 1 | null {
  if (pref.kind === 'rating' || pref.kind === 'classification' || pref.kind === 'spans' || pref.kind === 'writing' || pref.kind === 'redteam') return null;
  if (pref.kind === 'pairwise') {
    const sign = (v: number) => (v < 0 ? 1 : v > 0 ? -1 : 0) as -1 | 0 | 1;
    if (pref.a === x && pref.b === y) return sign(pref.value);
    if (pref.a === y && pref.b === x) return (-sign(pref.value) || 0) as -1 | 0 | 1;
    return null;
  }
  const gx = pref.groups.findIndex((g) => g.includes(x));
  const gy = pref.groups.findIndex((g) => g.includes(y));
  if (gx < 0 || gy < 0) return null;
  return (Math.sign(gy - gx) || 0) as -1 | 0 | 1;
}

/** Share (0..1) of the pairs of `responseIds` related by both preferences on which they agree; 0 when none is. */
export function goldAgreement(pref: Preference, gold: Preference, responseIds: readonly string[]): number {
  // A rating agrees when it is gold's level; a classification when it picks gold's label set exactly.
  if (gold.kind === 'rating') return pref.kind === 'rating' && pref.value === gold.value ? 1 : 0;
  // A red-team attack agrees with gold on whether the attack succeeded.
  if (gold.kind === 'redteam') return pref.kind === 'redteam' && pref.success === gold.success ? 1 : 0;
  if (gold.kind === 'classification') {
    if (pref.kind !== 'classification') return 0;
    const a = new Set(pref.labels);
    const b = new Set(gold.labels);
    return a.size === b.size && [...a].every((l) => b.has(l)) ? 1 : 0;
  }
  // Spans agree when they are gold's spans exactly (the same offsets and types, in any order).
  if (gold.kind === 'spans') {
    if (pref.kind !== 'spans') return 0;
    const key = (s: { start: number; end: number; label: string }) => `${s.start}:${s.end}:${s.label}`;
    const a = new Set(pref.spans.map(key));
    const b = new Set(gold.spans.map(key));
    return a.size === b.size && [...a].every((k) => b.has(k)) ? 1 : 0;
  }
  let pairs = 0;
  let agree = 0;
  for (let i = 0; i < responseIds.length; i++)
    for (let j = i + 1; j < responseIds.length; j++) {
      const g = relation(gold, responseIds[i]!, responseIds[j]!);
      if (g === null) continue;
      const p = relation(pref, responseIds[i]!, responseIds[j]!);
      pairs++;
      if (p === g) agree++;
    }
  return pairs === 0 ? 0 : agree / pairs;
}
