import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { averageRanks, kendallTauB, kendallW, pearson, spearmanRho } from './rank.ts';
import { MetricsError } from './labels.ts';
import { classic } from './fixtures/index.ts';
import { textbookTauB } from '../test/textbook.ts';

const anxiety = classic.irr_anxiety_20subjects_3raters.ratings;
const column = (r: number): number[] => anxiety.map((row) => row[r]!);

describe('averageRanks', () => {
  it('gives tied values the mean of their positions', () => {
    const { ranks, tieSum } = averageRanks([10, 20, 10, 30, 10]);
    expect(Array.from(ranks)).toEqual([2, 4, 2, 5, 2]);
    expect(tieSum).toBe(27 - 3);
  });
});

describe('kendallTauB and spearmanRho', () => {
  // Reference values: scipy 1.17.1 stats.kendalltau (tau-b) and stats.spearmanr on R irr's anxiety data.
  it.each([
    [0, 1, 0.3380152922565091, 0.42219382265555966],
    [0, 2, 0.13120467558816476, 0.16547669656112735],
    [1, 2, 0.2935307449472095, 0.3423295157129656],
  ])('anxiety raters %i vs %i: tau-b %f, rho %f (scipy)', (r, s, tau, rho) => {
    expect(kendallTauB(column(r), column(s))).toBeCloseTo(tau, 12);
    expect(spearmanRho(column(r), column(s))).toBeCloseTo(rho, 12);
  });

  it('tau-b by merge sort equals counting every pair', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })), { maxLength: 60 }), (pairs) => {
        const x = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        const slow = textbookTauB(x, y);
        const fast = kendallTauB(x, y);
        if (slow === null) expect(fast).toBeNull();
        else expect(fast).toBeCloseTo(slow, 12);
      }),
    );
  });

  it('drops pairs with a missing side; null when a side is constant or fewer than two pairs remain', () => {
    expect(kendallTauB([1, 2, null, 3], [1, 2, 5, null])).toBe(1);
    expect(spearmanRho([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(kendallTauB([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(spearmanRho([1, 2, 3], [4, 4, 4])).toBeNull();
    expect(kendallTauB([1], [2])).toBeNull();
    expect(spearmanRho([], [])).toBeNull();
    expect(pearson([1], [1])).toBeNull();
  });

  it('rejects non-numbers and unequal lengths', () => {
    expect(() => kendallTauB([1, 2], [1])).toThrow(MetricsError);
    expect(() => spearmanRho(['a' as never, 2], [1, 2])).toThrow(/"a" is not a finite number/);
    expect(() => spearmanRho([Number.NaN, 2], [1, 2])).toThrow(/NaN is not a finite number/);
  });
});

describe('kendallW', () => {
  it('R irr anxiety (20 objects × 3 raters): W and tie-corrected Wt by the irr::kendall formulas', () => {
    // Cross-checked with scipy rankdata: W = 0.501921470342523, Wt = 0.5396568759543698.
    const { W, Wt } = kendallW(anxiety);
    expect(W).toBeCloseTo(0.501921470342523, 12);
    expect(Wt).toBeCloseTo(0.5396568759543698, 12);
  });

  it('without ties, W = ((m − 1)·mean pairwise Spearman + 1) / m and W = Wt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }).chain((m) =>
          fc.integer({ min: 3, max: 12 }).chain((n) =>
            fc.array(fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }), { minLength: m, maxLength: m }),
          ),
        ),
        (columns) => {
          const m = columns.length;
          const n = columns[0]!.length;
          const rows = Array.from({ length: n }, (_, i) => columns.map((c) => c[i]!));
          let sum = 0;
          for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) sum += spearmanRho(columns[a]!, columns[b]!)!;
          const meanRho = sum / ((m * (m - 1)) / 2);
          const { W, Wt } = kendallW(rows);
          expect(W).toBeCloseTo(((m - 1) * meanRho + 1) / m, 10);
          expect(Wt).toBe(W);
        },
      ),
    );
  });

  it('is 1 when all raters rank identically; Wt null when every rater ties everything', () => {
    expect(kendallW([[1, 10], [2, 20], [3, 30]])).toEqual({ W: 1, Wt: 1 });
    expect(kendallW([[5, 5], [5, 5]])).toEqual({ W: 0, Wt: null });
  });

  it('drops objects with a missing score; null with fewer than two objects', () => {
    expect(kendallW([[1, 1], [2, null], [3, 3]])).toEqual(kendallW([[1, 1], [3, 3]]));
    expect(kendallW([[1, 2]])).toEqual({ W: null, Wt: null });
    expect(kendallW([])).toEqual({ W: null, Wt: null });
  });
});
