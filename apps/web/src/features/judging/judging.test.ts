import { describe, expect, it } from 'vitest';
import { canonicalPayload, judgmentIssues, readRubric } from '@accord/core';
import { canonicalDraftOf, canonicalPayloadOf, moveInRanking, preferenceLabel, toggleTie, workFromDraft, type JudgingOrders, type WorkState } from './judging.ts';

// The demo's comparison dimension: its levels run from the item's first response to its second.
const rubric = readRubric({
  version: 1,
  content: {
    dimensions: [
      { id: 'overall', name: 'Overall', target: 'comparison', scale: { kind: 'categories', options: ['A better', 'Tie', 'B better'] }, levels: [] },
      { id: 'accuracy', name: 'Accuracy', target: 'response', scale: { kind: 'likert', min: 1, max: 3 }, levels: [] },
    ],
    justification: { minWords: 1, maxWords: 50 },
  },
});
const item = { responses: [{ id: 'r1', content: 'one' }, { id: 'r2', content: 'two' }] };
const ordersFor = (display: string[]): JudgingOrders => ({ taskKind: 'pairwise', display, canonical: ['r1', 'r2'], rubric });

/** A trainer who prefers r1, whichever side of the screen it is on. */
function prefersR1(display: string[]): WorkState {
  const r1IsA = display[0] === 'r1';
  return {
    taskKind: 'pairwise',
    order: display,
    pairwise: r1IsA ? -2 : 2,
    ranking: [],
    scores: { 'overall|': r1IsA ? 0 : 2, 'accuracy|r1': 3, 'accuracy|r2': 1 },
    spans: [],
    flags: [],
    justification: 'r1 is right.',
  };
}

describe('the judging form speaks canonical terms to the API', () => {
  it('two trainers with opposite screen orders who prefer the same response send the same judgment', () => {
    const [one, two] = [['r1', 'r2'], ['r2', 'r1']].map((d) => canonicalPayloadOf(prefersR1(d), ordersFor(d))!);
    expect(canonicalPayload(one!, item)).toEqual(canonicalPayload(two!, item));
    expect(two!.scores.find((s) => s.dimension === 'overall')?.value).toBe(0);
    expect(judgmentIssues(two!, item, 'pairwise', rubric)).toEqual([]);
  });

  it('a saved draft comes back in the screen terms it was typed in', () => {
    for (const d of [['r1', 'r2'], ['r2', 'r1']]) {
      const screen = prefersR1(d);
      const stored = JSON.parse(JSON.stringify(canonicalDraftOf(screen, ordersFor(d))));
      expect(workFromDraft(stored, ordersFor(d))).toEqual(screen);
    }
  });

  it('starts a ranking in screen order and an empty pairwise choice without a draft', () => {
    expect(workFromDraft(null, { ...ordersFor(['r2', 'r1']), taskKind: 'ranking' }).ranking).toEqual([['r2'], ['r1']]);
    expect(workFromDraft(null, ordersFor(['r2', 'r1'])).pairwise).toBeNull();
  });
});

describe('preferenceLabel', () => {
  it('names what the trainer saw, not response ids', () => {
    // Stored canonically (a = r1); this trainer saw r2 as A.
    const j = { payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 2 } }, responseOrder: ['r2', 'r1'] };
    expect(preferenceLabel(j)).toBe('A better');
    expect(preferenceLabel({ ...j, responseOrder: ['r1', 'r2'] })).toBe('B better');
    expect(preferenceLabel({ payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -1 } }, responseOrder: ['r2', 'r1'] })).toBe('B slightly better');
    expect(preferenceLabel({ payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: 0 } }, responseOrder: ['r2', 'r1'] })).toBe('Tie');
    expect(preferenceLabel({ payload: { preference: { kind: 'ranking', groups: [['r3'], ['r1', 'r2']] } }, responseOrder: ['r2', 'r3', 'r1'] })).toBe('B > C = A');
  });

  it('falls back to response ids for imported judgments, which have no screen order', () => {
    expect(preferenceLabel({ payload: { preference: { kind: 'pairwise', a: 'r1', b: 'r2', value: -3 } }, responseOrder: null })).toBe('r1 much better');
    expect(preferenceLabel({ payload: {}, responseOrder: null })).toBe('—');
  });
});

describe('rankings', () => {
  it('moves and ties responses, keeping groups non-empty', () => {
    expect(moveInRanking([['a'], ['b'], ['c']], 'c', -1)).toEqual([['a'], ['c'], ['b']]);
    expect(toggleTie([['a'], ['b']], 'b')).toEqual([['a', 'b']]);
    expect(toggleTie([['a', 'b']], 'b')).toEqual([['a'], ['b']]);
  });
});
