import { describe, expect, it } from 'vitest';
import { wordDiff } from './word-diff.ts';

const side = (parts: { op: string; text: string }[], keep: string) => parts.filter((p) => p.op === 'eq' || p.op === keep).map((p) => p.text).join('');

describe('wordDiff', () => {
  it('marks the words changed and gives both texts back exactly', () => {
    const before = 'The cat sat on the mat.\nIt was happy.';
    const after = 'The black cat sat on the mat.\nIt was very happy!';
    const d = wordDiff(before, after);
    expect(side(d.parts, 'del')).toBe(before);
    expect(side(d.parts, 'ins')).toBe(after);
    expect(d.parts).toEqual([
      { op: 'eq', text: 'The ' },
      { op: 'ins', text: 'black ' },
      { op: 'eq', text: 'cat sat on the mat.\nIt was ' },
      { op: 'del', text: 'happy.' },
      { op: 'ins', text: 'very happy!' },
    ]);
    expect([d.inserted, d.deleted]).toEqual([3, 1]);
  });

  it('keeps a word the same when a paragraph is added after it', () => {
    expect(wordDiff('It was happy.', 'It was happy.\n\nThe end.')).toEqual({
      parts: [
        { op: 'eq', text: 'It was happy.' },
        { op: 'ins', text: '\n\nThe end.' },
      ],
      inserted: 2,
      deleted: 0,
    });
  });

  it('is all equal for the same text, all inserted from nothing, all deleted to nothing', () => {
    expect(wordDiff('a b', 'a b')).toEqual({ parts: [{ op: 'eq', text: 'a b' }], inserted: 0, deleted: 0 });
    expect(wordDiff('', 'new words')).toEqual({ parts: [{ op: 'ins', text: 'new words' }], inserted: 2, deleted: 0 });
    expect(wordDiff('old words', '')).toEqual({ parts: [{ op: 'del', text: 'old words' }], inserted: 0, deleted: 2 });
  });
});
