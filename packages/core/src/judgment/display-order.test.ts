import { describe, expect, it } from 'vitest';
import { RubricSchema, type Rubric } from '../schemas/rubrics.ts';
import type { JudgmentPayload } from '../schemas/work.ts';
import { isReversedOrder, mirrorLevel, toCanonicalPayload, toDisplayPayload } from './display-order.ts';
import { readRubric } from './rubric-view.ts';
import { canonicalPayload, judgmentIssues } from './rules.ts';

// The demo's shape: a per-response Likert dimension and the overall preference as a comparison.
const content = {
  dimensions: [
    {
      id: 'helpfulness',
      name: 'Helpfulness',
      description: 'Does it help?',
      scale: { kind: 'likert', min: 1, max: 5 },
      levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `L${v}`, anchor: `Anchor ${v}` })),
      weight: 1,
      target: 'response',
    },
    {
      id: 'overall',
      name: 'Overall preference',
      description: 'Which response is better overall?',
      scale: { kind: 'categories', options: ['A better', 'Tie', 'B better'] },
      levels: ['A better', 'Tie', 'B better'].map((label, v) => ({ value: v, label, anchor: label })),
      weight: 1,
      target: 'comparison',
    },
    {
      id: 'margin',
      name: 'Margin',
      description: '1 = A far better … 5 = B far better',
      scale: { kind: 'likert', min: 1, max: 5 },
      levels: [1, 2, 3, 4, 5].map((v) => ({ value: v, label: `M${v}`, anchor: `Margin ${v}` })),
      weight: 1,
      target: 'comparison',
    },
  ],
  precedence: [],
  justification: { minWords: 0, maxWords: 100 },
  spanCategories: [],
  flags: [],
};
const rubric: Rubric = RubricSchema.parse(content);
const item = {
  responses: [
    { id: 'r1', content: 'The sky is blue because of Rayleigh scattering.' },
    { id: 'r2', content: 'It reflects the ocean.' },
  ],
};
const canonical = item.responses.map((r) => r.id);

/** What a trainer who prefers r1 builds on a screen showing `order` (A = order[0]). */
function prefersR1(order: string[]): JudgmentPayload {
  const r1IsA = order[0] === 'r1';
  return {
    preference: { kind: 'pairwise', a: order[0]!, b: order[1]!, value: r1IsA ? -2 : 2 },
    scores: [
      { dimension: 'overall', value: r1IsA ? 0 : 2 }, // "A better" or "B better" as read on screen
      { dimension: 'margin', value: r1IsA ? 2 : 4 },
      { dimension: 'helpfulness', responseId: 'r1', value: 5 },
      { dimension: 'helpfulness', responseId: 'r2', value: 2 },
    ],
    spans: [],
    flags: [],
    justification: 'r1 explains the physics.',
  };
}

describe('comparison dimensions in the item order', () => {
  it('stores the same payload for two trainers who prefer the same response from opposite screen orders', () => {
    const stored = [['r1', 'r2'], ['r2', 'r1']].map((order) => canonicalPayload(toCanonicalPayload(prefersR1(order), order, canonical, rubric), item));
    expect(stored[0]).toEqual(stored[1]);
    expect(stored[0]!.preference).toEqual({ kind: 'pairwise', a: 'r1', b: 'r2', value: -2 });
    expect(stored[0]!.scores.filter((s) => !s.responseId)).toEqual([
      { dimension: 'margin', value: 2 },
      { dimension: 'overall', value: 0 }, // "first response better", whatever the screen said
    ]);
    for (const s of stored) expect(judgmentIssues(s, item, 'pairwise', rubric)).toEqual([]);
  });

  it('works from the lenient reading of the version the web app uses', () => {
    const view = readRubric({ version: 3, content });
    const fromView = toCanonicalPayload(prefersR1(['r2', 'r1']), ['r2', 'r1'], canonical, view);
    expect(fromView).toEqual(toCanonicalPayload(prefersR1(['r2', 'r1']), ['r2', 'r1'], canonical, rubric));
  });

  it('shows a stored draft back in the screen terms it was made in', () => {
    for (const order of [['r1', 'r2'], ['r2', 'r1']]) {
      const screen = prefersR1(order);
      const back = toDisplayPayload(toCanonicalPayload(screen, order, canonical, rubric), order, canonical, rubric);
      expect(back.scores).toEqual(screen.scores);
    }
  });

  it('leaves values alone when the screen shows the item order, and for more than two responses', () => {
    const screen = prefersR1(['r1', 'r2']);
    expect(toCanonicalPayload(screen, ['r1', 'r2'], canonical, rubric).scores).toEqual(screen.scores);
    expect(isReversedOrder(['r3', 'r2', 'r1'], ['r1', 'r2', 'r3'])).toBe(false);
    const draft = { scores: [{ dimension: 'overall', value: 0 }] };
    expect(toCanonicalPayload(draft, ['r3', 'r2', 'r1'], ['r1', 'r2', 'r3'], rubric)).toEqual(draft);
  });

  it('turns drafts without a preference and keeps off-scale values for the validator to name', () => {
    expect(toCanonicalPayload({ scores: [{ dimension: 'overall', value: 1 }] }, ['r2', 'r1'], canonical, rubric)).toEqual({ scores: [{ dimension: 'overall', value: 1 }] });
    expect(mirrorLevel(rubric.dimensions[1]!.levels, 7)).toBe(7);
    expect(mirrorLevel(rubric.dimensions[2]!.levels, 1)).toBe(5);
  });
});
