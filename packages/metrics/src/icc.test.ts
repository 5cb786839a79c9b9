import { describe, expect, it } from 'vitest';
import { icc } from './icc.ts';

describe('icc', () => {
  it('Shrout & Fleiss (1979) Table 2, 6 targets × 4 judges: .17 .29 .71 .44 .62 .91', () => {
    // Published to two decimals; the unrounded values were recomputed with numpy from the ANOVA.
    const ratings = [
      [9, 2, 5, 8],
      [6, 1, 3, 2],
      [8, 4, 6, 8],
      [7, 1, 2, 6],
      [10, 5, 6, 9],
      [6, 2, 4, 7],
    ];
    const result = icc(ratings);
    expect(result.ICC1).toBeCloseTo(0.16574176840547553, 12);
    expect(result.ICC2).toBeCloseTo(0.2897637795275592, 12);
    expect(result.ICC3).toBeCloseTo(0.7148407148407154, 12);
    expect(result.ICC1k).toBeCloseTo(0.4427971336792688, 12);
    expect(result.ICC2k).toBeCloseTo(0.6200505475989893, 12);
    expect(result.ICC3k).toBeCloseTo(0.9093155423770697, 12);
  });

  it('is 1 for identical judges with varying targets, null for constant data or too few targets/judges', () => {
    const same = icc([[1, 1], [2, 2], [5, 5]]);
    expect(Object.values(same).every((v) => Math.abs(v! - 1) < 1e-12)).toBe(true);
    expect(Object.values(icc([[3, 3], [3, 3]]))).toEqual([null, null, null, null, null, null]);
    expect(Object.values(icc([[1, 2]]))).toEqual([null, null, null, null, null, null]);
    expect(Object.values(icc([[1], [2]]))).toEqual([null, null, null, null, null, null]);
  });

  it('drops targets with a missing score', () => {
    expect(icc([[1, 2], [2, null], [3, 3], [5, 4]])).toEqual(icc([[1, 2], [3, 3], [5, 4]]));
  });
});
