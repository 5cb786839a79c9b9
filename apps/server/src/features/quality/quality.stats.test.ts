import { describe, expect, it } from 'vitest';
import { labelAlphas, setAlpha } from '@accord/metrics';
import { emptyPart, labelFiguresOf, leaderboardOf, type BlockPart, type LabelScopes, type ModelTally, type ScopeData } from './quality.stats.ts';

const q = { from: 'judgments' as const, samples: 200, seed: 7 };

/** One item's label sets (classification): how many judgments gave each set (labels sorted, distinct). */
interface LabelSetUnit {
  block: number;
  sets: { labels: readonly string[]; n: number }[];
}

/**
 * The contributions the database keeps for these items' label sets (what its refresh writes for scopes
 * `cls`, `lbl:<label>` and `pick:<label>`), built here from the sets themselves.
 */
function labelScopesOf(units: readonly LabelSetUnit[]): LabelScopes {
  const sets: ScopeData = new Map();
  const perLabel = new Map<string, ScopeData>();
  const picks = new Map<string, number>();
  const names = new Map<number, readonly string[]>();
  const values = new Map<string, number>();
  const part = (data: ScopeData, block: number) => {
    let p = data.get(block);
    if (!p) data.set(block, (p = emptyPart()));
    return p;
  };
  // One unit's value counts into a scope: coincidences n_a (n_b − [a = b]) / (m − 1), and its size.
  const add = (p: BlockPart, counts: Map<number, number>) => {
    let m = 0;
    let agree = 0;
    for (const n of counts.values()) {
      m += n;
      agree += n * (n - 1);
    }
    if (m >= 2) for (const [a, na] of counts) for (const [b, nb] of counts) p.cells.push(a, b, (na * (nb - (a === b ? 1 : 0))) / (m - 1));
    const size = p.units.get(m) ?? { units: 0, paSum: 0 };
    p.units.set(m, { units: size.units + 1, paSum: size.paSum + (m >= 2 ? agree / (m * (m - 1)) : 0) });
  };
  for (const u of units) {
    const counts = new Map<number, number>();
    const chosen = new Map<string, number>();
    let m = 0;
    for (const s of u.sets) {
      const key = JSON.stringify(s.labels);
      let v = values.get(key);
      if (v === undefined) {
        values.set(key, (v = values.size));
        names.set(v, s.labels);
      }
      counts.set(v, (counts.get(v) ?? 0) + s.n);
      for (const l of new Set(s.labels)) chosen.set(l, (chosen.get(l) ?? 0) + s.n);
      m += s.n;
    }
    add(part(sets, u.block), counts);
    for (const [label, c] of chosen) {
      let data = perLabel.get(label);
      if (!data) perLabel.set(label, (data = new Map()));
      add(part(data, u.block), new Map([[1, c], ...(m - c > 0 ? ([[0, m - c]] as [number, number][]) : [])]));
      picks.set(label, (picks.get(label) ?? 0) + c);
    }
  }
  return { sets, perLabel, picks, names };
}

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
