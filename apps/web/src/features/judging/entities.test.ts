import { describe, expect, it } from 'vitest';
import { entityProblem, segmentsOf, withEntity, wordsOf } from './entities.ts';

describe('entity spans on the text', () => {
  const text = 'Ada Lovelace met Babbage.';
  it('moves by words and single punctuation characters', () => {
    expect(wordsOf(text).map((w) => text.slice(w.start, w.end))).toEqual(['Ada', 'Lovelace', 'met', 'Babbage', '.']);
  });

  it('refuses an empty, repeated or (unless allowed) overlapping span', () => {
    const spans = [{ start: 0, end: 12, label: 'PER', text: 'Ada Lovelace' }];
    expect(entityProblem(spans, { start: 4, end: 4, label: 'PER' }, false)).toBe('Select some text first.');
    expect(entityProblem(spans, { start: 0, end: 12, label: 'PER' }, true)).toBe('That span is marked already.');
    expect(entityProblem(spans, { start: 4, end: 12, label: 'PER' }, false)).toMatch(/overlaps “Ada Lovelace” \(PER\)/);
    expect(entityProblem(spans, { start: 4, end: 12, label: 'PER' }, true)).toBeNull();
    expect(entityProblem(spans, { start: 17, end: 24, label: 'PER' }, false)).toBeNull();
    expect(withEntity(spans, { start: 0, end: 3, label: 'PER' }).map((s) => s.end)).toEqual([3, 12]);
  });

  it('cuts the text at every span boundary, naming the covering spans outermost first', () => {
    const segs = segmentsOf(text.length, [{ start: 0, end: 12 }, { start: 4, end: 12 }], [17]);
    expect(segs.map((s) => [s.start, s.end, s.covering, s.ending])).toEqual([
      [0, 4, [0], []],
      [4, 12, [0, 1], [0, 1]],
      [12, 17, [], []],
      [17, 25, [], []],
    ]);
  });
});
