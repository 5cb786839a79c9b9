import { describe, expect, it } from 'vitest';
import { krippendorffAlpha } from './krippendorff.ts';
import { jaccardDistance, labelAlphas, masiDistance, setAlpha, type LabelSet, type SetRatings } from './sets.ts';

/** NLTK 3.8's masi_distance rounds Passonneau's monotonicity 2/3 and 1/3 to 0.67 and 0.33. */
function nltkMasi(a: LabelSet, b: LabelSet): number {
  const x = new Set(a);
  const y = new Set(b);
  const inter = [...x].filter((v) => y.has(v)).length;
  const union = new Set([...x, ...y]).size;
  const m = x.size === y.size && x.size === inter ? 1 : inter === Math.min(x.size, y.size) ? 0.67 : inter > 0 ? 0.33 : 0;
  return 1 - (inter / union) * m;
}

// 4 units × 3 coders (c1, c2, c3); the fourth unit has no c3.
const example: SetRatings = [
  [['a'], ['a', 'b'], ['a']],
  [['b'], ['b'], ['b', 'c']],
  [['a', 'c'], ['c'], ['a', 'c']],
  [['c'], ['a'], null],
];

describe('masiDistance (Passonneau 2006)', () => {
  it.each([
    [['a', 'b'], ['b', 'a'], 0], // identical: J = 1, M = 1
    [['a'], ['a', 'b'], 1 - (1 / 2) * (2 / 3)], // subset: J = 1/2, M = 2/3
    [['a', 'b'], ['b', 'c'], 1 - (1 / 3) * (1 / 3)], // overlap: J = 1/3, M = 1/3
    [['a'], ['b'], 1], // disjoint
    [[], [], 0],
    [[], ['a'], 1],
  ] as const)('δ(%j, %j) = %f', (a, b, d) => {
    expect(masiDistance(a, b)).toBeCloseTo(d, 12);
    expect(masiDistance(b, a)).toBeCloseTo(d, 12);
  });

  it("with NLTK's rounded monotonicity gives NLTK 3.8's doctest value: masi_distance({1, 2}, {1, 2, 3, 4}) = 0.665", () => {
    expect(nltkMasi([1, 2], [1, 2, 3, 4])).toBeCloseTo(0.665, 12);
    expect(masiDistance([1, 2], [1, 2, 3, 4])).toBeCloseTo(1 - 0.5 * (2 / 3), 12);
  });

  it('Jaccard distance', () => {
    expect(jaccardDistance(['a', 'b'], ['b', 'c'])).toBeCloseTo(2 / 3, 12);
    expect(jaccardDistance([], [])).toBe(0);
  });
});

describe('setAlpha: Krippendorff α with a set distance', () => {
  it('MASI α of a small example by hand: 109/379 (exact fractions: n = 11 pairable sets, D_o and D_e over the coincidences)', () => {
    expect(setAlpha(example)).toBeCloseTo(109 / 379, 12);
  });

  it("equals NLTK 3.8's AnnotationTask(distance=masi_distance).alpha() on the same data with NLTK's distance (0.28834501603896867)", () => {
    // nltk.metrics.agreement.AnnotationTask(data=[(coder, unit, frozenset(labels)) …], distance=masi_distance).alpha()
    expect(setAlpha(example, { distance: nltkMasi })).toBeCloseTo(0.28834501603896867, 12);
    // … and with jaccard_distance: 0.33920704845814975; binary_distance (nominal on the sets): 0.18367346938775508.
    expect(setAlpha(example, { distance: jaccardDistance })).toBeCloseTo(0.33920704845814975, 12);
    expect(setAlpha(example, { distance: (a, b) => (masiDistance(a, b) === 0 ? 0 : 1) })).toBeCloseTo(0.18367346938775508, 12);
  });

  it('on single labels equals α nominal (MASI of two different singletons is 1)', () => {
    const single = [[['x'], ['y'], ['x']], [['y'], ['y'], null], [['x'], ['x'], ['z']]];
    const nominal = krippendorffAlpha(single.map((r) => r.map((s) => s?.[0] ?? null)), { level: 'nominal' });
    expect(setAlpha(single)).toBeCloseTo(nominal!, 12);
  });

  it('ignores the order and repeats of labels within a set; null without pairable values or disagreement', () => {
    expect(setAlpha([[['a', 'b'], ['b', 'a', 'a']], [['c'], ['a']]])).toBeCloseTo(setAlpha([[['a', 'b'], ['a', 'b']], [['c'], ['a']]])!, 12);
    expect(setAlpha([[['a'], null], [['b']]])).toBeNull();
    expect(setAlpha([[['a'], ['a']], [['a'], ['a']]])).toBeNull();
  });
});

describe('labelAlphas: each label as a binary nominal variable', () => {
  it("equals NLTK's AnnotationTask alpha of 'label in set' (binary_distance): a 1/3, b 9/14, c 1/3", () => {
    expect(labelAlphas(example)).toEqual([
      { label: 'a', alpha: expect.closeTo(1 / 3, 12) as number, picked: 6 },
      { label: 'b', alpha: expect.closeTo(9 / 14, 12) as number, picked: 4 },
      { label: 'c', alpha: expect.closeTo(1 / 3, 12) as number, picked: 5 },
    ]);
  });

  it('reports the labels asked for, in that order; null for a label nobody chose', () => {
    expect(labelAlphas(example, ['c', 'zzz']).map((l) => [l.label, l.picked, l.alpha === null])).toEqual([
      ['c', 5, false],
      ['zzz', 0, true],
    ]);
  });
});
