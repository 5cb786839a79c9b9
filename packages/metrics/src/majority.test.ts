import { describe, expect, it } from 'vitest';
import { majorityVote } from './majority.ts';
import { encodeRatings } from './labels.ts';
import { pandalm } from './fixtures/index.ts';

describe('majorityVote', () => {
  it('PandaLM: majority labels 0 → 105, 1 → 422, 2 → 472 (README of WeOpenML/PandaLM), no 1-1-1 splits', () => {
    const votes = majorityVote(pandalm.labels);
    const counts = new Map<unknown, number>();
    for (const v of votes) counts.set(v.winner, (counts.get(v.winner) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ 0: 105, 1: 422, 2: 472 });
    expect(votes.some((v) => v.isTie)).toBe(false);
  });

  it('PandaLM human row for LLaMA-7B vs Bloom-7B: 72 wins, 28 losses, 11 ties (PandaLM paper)', () => {
    const votes = majorityVote(pandalm.labels);
    const tally = { 1: 0, 2: 0, 0: 0 } as Record<number, number>;
    votes.forEach((v, i) => {
      if (pandalm.cmpKey[i] === 'bloom-7b_llama-7b') tally[v.winner as number]! += 1;
    });
    // cmp_key lists bloom first, so response2 (label 2) is LLaMA's.
    expect([tally[2], tally[1], tally[0]]).toEqual([72, 28, 11]);
  });

  it('never breaks a tie: winner null, every tied label listed in category order', () => {
    expect(majorityVote([['b', 'a', 'b', 'a', 'c']])).toEqual([
      { winner: null, modes: ['a', 'b'], isTie: true, topCount: 2, total: 5 },
    ]);
    expect(majorityVote([[10, 9, 10, null]])).toEqual([{ winner: 10, modes: [10], isTie: false, topCount: 2, total: 3 }]);
  });

  it('gives an empty unit no winner and no tie', () => {
    expect(majorityVote([[null, null], [1, null]])).toEqual([
      { winner: null, modes: [], isTie: false, topCount: 0, total: 0 },
      { winner: 1, modes: [1], isTie: false, topCount: 1, total: 1 },
    ]);
    expect(majorityVote([])).toEqual([]);
  });

  it('accepts the encoded form', () => {
    expect(majorityVote(encodeRatings(pandalm.labels))).toEqual(majorityVote(pandalm.labels));
  });
});
