import { describe, expect, it } from 'vitest';
import { labelAlphas, setAlpha } from '@accord/metrics';
import { labelFiguresOf, labelScopesOf, leaderboardOf, type LabelSetUnit, type ModelTally } from './quality.stats.ts';

const q = { from: 'judgments' as const, samples: 200, seed: 7 };

describe('leaderboardOf', () => {
  it('gives no interval when the models form two groups never compared (the demo project had strength 0.25 with an interval of [0.5, 0.5])', () => {
    // a–b in one block, c–d in another: resamples with one block hold two models each.
    const tallies: ModelTally[] = [
      { block: 1, modelA: 'a', modelB: 'b', winsA: 0, ties: 1, winsB: 0 },
      { block: 2, modelA: 'c', modelB: 'd', winsA: 1, ties: 0, winsB: 1 },
    ];
    const lb = leaderboardOf(tallies, q);
    expect(lb.models.map((m) => m.strength)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(lb.models.every((m) => m.ci === null)).toBe(true);
  });

  it('keeps every interval around its estimate when the blocks compare every model', () => {
    const tallies: ModelTally[] = [];
    for (let block = 0; block < 16; block++) {
      // Blocks differ, so resamples do.
      tallies.push({ block, modelA: 'strong', modelB: 'mid', winsA: 4 + (block % 4), ties: 1, winsB: 3 });
      tallies.push({ block, modelA: 'mid', modelB: 'weak', winsA: 6, ties: block % 3, winsB: 2 + (block % 2) });
      tallies.push({ block, modelA: 'strong', modelB: 'weak', winsA: 8, ties: 1, winsB: 1 });
    }
    const lb = leaderboardOf(tallies, q);
    expect(lb.models.map((m) => m.model)).toEqual(['strong', 'mid', 'weak']);
    expect(lb.models.reduce((s, m) => s + m.strength, 0)).toBeCloseTo(1, 9);
    for (const m of lb.models) {
      expect(m.ci).not.toBeNull();
      expect(m.ci![0]).toBeLessThan(m.strength);
      expect(m.ci![1]).toBeGreaterThan(m.strength);
    }
  });
});

describe('labelFiguresOf', () => {
  // 4 items × 3 raters (one missing), as in @accord/metrics' sets.test.ts (MASI α 109/379 by hand).
  const sets = [
    [['a'], ['a', 'b'], ['a']],
    [['b'], ['b'], ['b', 'c']],
    [['a', 'c'], ['c'], ['a', 'c']],
    [['c'], ['a']],
  ];
  const units: LabelSetUnit[] = sets.map((row, i) => {
    const counts = new Map<string, { labels: string[]; n: number }>();
    for (const s of row) {
      const k = JSON.stringify(s);
      counts.set(k, { labels: s, n: (counts.get(k)?.n ?? 0) + 1 });
    }
    return { block: i % 2, sets: [...counts.values()] };
  });

  it('MASI α and per-label α from the kept contributions equal @accord/metrics on the same sets, with intervals over blocks', () => {
    const f = labelFiguresOf(labelScopesOf(units), ['a', 'b', 'c', 'd'], { samples: 50, seed: 3 });
    expect(f.masiAlpha.value).toBeCloseTo(setAlpha(sets)!, 12);
    expect(f.masiAlpha.value).toBeCloseTo(109 / 379, 12);
    expect(f.masiAlpha.n).toBe(4);
    expect(f.masiAlpha.ci).toEqual([expect.any(Number), expect.any(Number)]);
    const want = labelAlphas(sets, ['a', 'b', 'c', 'd']);
    expect(f.labels.map((l) => [l.label, l.picked, l.alpha.value])).toEqual(want.map((l) => [l.label, l.picked, l.alpha === null ? null : expect.closeTo(l.alpha, 12)]));
  });
});
