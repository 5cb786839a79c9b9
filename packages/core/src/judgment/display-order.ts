/**
 * Screen order ↔ stored order. Each trainer sees an item's responses in their own shuffled order
 * and reads "A" and "B" off the screen; what is stored must mean the same for every trainer.
 *
 * Rule: a comparison dimension's levels run from the item's first response (`item.responses[0]`)
 * to its second, so "A better / Tie / B better" stored means "first / tie / second" in the item's
 * own order. When a trainer's screen shows the two responses the other way round, level i of the
 * scale (in scale order) is level n-1-i on their screen. Per-response scores, spans and the
 * pairwise preference are already by response id and need no turning (the preference is turned
 * to the item's order as well, so the payload sent is the stored one).
 * Items with more than two responses have no "first vs second"; their values pass unchanged.
 */
import type { DraftPayload, JudgmentPayload } from '../schemas/work.ts';
import { canonicalPreference, type RubricRules } from './rules.ts';

/** What the conversion needs of a rubric: both `Rubric` and `RubricView` fit. */
export type OrderedRubric = Pick<RubricRules, 'dimensions'>;

/** True when the screen shows the item's two responses in the reverse of the item's order. */
export function isReversedOrder(displayOrder: readonly string[], canonicalOrder: readonly string[]): boolean {
  return displayOrder.length === 2 && canonicalOrder.length === 2 && displayOrder[0] === canonicalOrder[1] && displayOrder[1] === canonicalOrder[0] && displayOrder[0] !== displayOrder[1];
}

/** Level i ↔ level n-1-i of the dimension's scale; a value off the scale is left as it is. */
export function mirrorLevel(levels: readonly { value: number }[], value: number): number {
  const i = levels.findIndex((l) => l.value === value);
  return i === -1 ? value : levels[levels.length - 1 - i]!.value;
}

function turnScores<P extends DraftPayload | JudgmentPayload>(payload: P, rubric: OrderedRubric | null): P {
  if (!payload.scores) return payload;
  const comparison = new Map((rubric?.dimensions ?? []).filter((d) => d.target === 'comparison').map((d) => [d.id, d.levels]));
  return {
    ...payload,
    scores: payload.scores.map((s) => {
      const levels = s.responseId === undefined ? comparison.get(s.dimension) : undefined;
      return levels ? { ...s, value: mirrorLevel(levels, s.value) } : s;
    }),
  };
}

/** A payload in the trainer's screen terms → the item's canonical terms (what the API takes). */
export function toCanonicalPayload<P extends DraftPayload | JudgmentPayload>(payload: P, displayOrder: readonly string[], canonicalOrder: readonly string[], rubric: OrderedRubric | null): P {
  const item = { responses: canonicalOrder.map((id) => ({ id })) };
  const out = payload.preference ? ({ ...payload, preference: canonicalPreference(payload.preference, item) } as P) : payload;
  return isReversedOrder(displayOrder, canonicalOrder) ? turnScores(out, rubric) : out;
}

/** A stored (canonical) payload → the trainer's screen terms, e.g. to show a saved draft. */
export function toDisplayPayload<P extends DraftPayload | JudgmentPayload>(payload: P, displayOrder: readonly string[], canonicalOrder: readonly string[], rubric: OrderedRubric | null): P {
  return isReversedOrder(displayOrder, canonicalOrder) ? turnScores(payload, rubric) : payload;
}
