/**
 * Disputes and consensus in words for the screens: reasons, verdict tags, methods, agreement and
 * age, and a consensus payload's preference read out in the room's letters (A, B, … in the item's
 * canonical order, the order proposals and labels use).
 */
import type { ConsensusMethod, DisputeReason, DisputeTag, Preference } from '@accord/core';

export const REASON_WORDS: Record<DisputeReason, string> = {
  disagreement: 'Disagreement',
  'gold-missed': 'Gold missed',
  'serious-flag': 'Serious flag',
  manual: 'Opened by hand',
  reopened: 'Reopened',
};

export const TAG_WORDS: Record<DisputeTag, string> = {
  'trainer-error': 'Trainer error',
  'ambiguous-item': 'Ambiguous item',
  'guideline-gap': 'Guideline gap',
  'gold-wrong': 'Gold wrong',
};

export const METHOD_WORDS: Record<ConsensusMethod, string> = {
  unanimous: 'Unanimous',
  majority: 'Majority',
  'dawid-skene': 'Dawid–Skene',
  'bradley-terry': 'Bradley–Terry',
  adjudicated: 'Adjudicated',
};

/** The badge tone of a reason: serious flags and missed gold first. */
export function reasonTone(r: DisputeReason): 'danger' | 'warning' | 'neutral' | 'brand' {
  return r === 'serious-flag' ? 'danger' : r === 'gold-missed' || r === 'reopened' ? 'warning' : r === 'manual' ? 'brand' : 'neutral';
}

export function formatAgreement(a: number | null | undefined): string {
  return a === null || a === undefined ? '—' : `${Math.round(a * 100)}%`;
}

/** "3 min", "5 h", "2 d": how long a dispute has been open. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

export const letterAt = (i: number): string => String.fromCharCode(65 + i);

/**
 * How the annotator saw the responses, in this screen's letters, when that differs from the order
 * shown here (null: the same order, or not recorded): their justification's "Response A" is the
 * first response they saw. E.g. "B, A" for two responses shown swapped.
 */
export function seenOrder(seen: readonly string[] | null | undefined, order: readonly string[]): string | null {
  if (!seen || seen.length < 2) return null;
  const letters = seen.map((id) => order.indexOf(id));
  if (letters.some((i) => i === -1) || letters.every((i, k) => i === k)) return null;
  return letters.map(letterAt).join(', ');
}

/**
 * A preference in the room's letters: "A better", "B slightly better", "Tie", "B = A > C".
 * `order` is the item's canonical response order.
 */
export function preferenceWords(p: Preference | null | undefined, order: readonly string[]): string {
  if (!p) return '—';
  const name = (id: string) => {
    const i = order.indexOf(id);
    return i === -1 ? id : letterAt(i);
  };
  if (p.kind === 'ranking') return p.groups.map((g) => g.map(name).join(' = ')).join(' > ');
  if (p.kind === 'rating') return `Rating ${p.value}`;
  if (p.kind === 'classification') return p.labels.join(', ');
  if (p.kind === 'spans') return p.spans.length ? p.spans.map((s) => `${s.label} “${s.text ?? `${s.start}–${s.end}`}”`).join(', ') : 'No spans';
  if (p.kind === 'writing') return p.base ? 'A rewrite of the response' : 'A writing';
  if (p.kind === 'redteam') return `Attack ${p.success === true ? 'succeeded' : p.success === false ? 'failed' : '—'}${p.severity !== null ? ` · severity ${p.severity}` : ''}`;
  if (p.value === 0) return 'Tie';
  const winner = name(p.value < 0 ? p.a : p.b);
  const strength = ['slightly better', 'better', 'much better'][Math.min(3, Math.abs(p.value)) - 1] ?? 'better';
  return `${winner} ${strength}`;
}

/** The screen value of a pairwise preference (how much better B, the second response, is), or null. */
export function pairwiseScreenValue(p: Preference | null | undefined, order: readonly string[]): number | null {
  if (!p || p.kind !== 'pairwise') return null;
  return p.a === order[0] ? p.value : -p.value;
}
