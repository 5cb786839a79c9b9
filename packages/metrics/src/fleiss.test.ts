import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fleissKappa } from './fleiss.ts';
import { cohenKappa } from './cohen.ts';
import { percentAgreement } from './percent-agreement.ts';
import { classic, llmfao, pandalm } from './fixtures/index.ts';
import { textbookConger } from '../test/textbook.ts';

/** Subjects × categories counts → one rating per rater (raters are interchangeable in Fleiss' design). */
function fromCounts(counts: number[][]): number[][] {
  return counts.map((row) => row.flatMap((n, j) => Array<number>(n).fill(j + 1)));
}

describe('fleissKappa against published values', () => {
  it('Wikipedia worked example (10 subjects × 14 raters): κ = 0.210', () => {
    const result = fleissKappa(fromCounts(classic.wikipedia_fleiss_10subjects_14raters.counts));
    expect(result.kappa).toBeCloseTo(0.21, 3);
    expect(result.unitsUsed).toBe(10);
  });

  it('Fleiss (1971) diagnoses: κ = 0.4302445 (R irr::kappam.fleiss), category totals 26/26/30/55/43', () => {
    const result = fleissKappa(classic.fleiss_1971_psychiatric_diagnoses.ratings);
    expect(result.kappa).toBeCloseTo(0.4302445, 7);
    expect(result.categories).toEqual([1, 2, 3, 4, 5]);
    expect(result.perCategory.map((c) => c.proportion * 180)).toEqual(
      classic.fleiss_1971_psychiatric_diagnoses.expected.category_totals.map((t) => expect.closeTo(t, 9)),
    );
  });

  it('PandaLM 999 × 3: κ 0.8642 (computed in shared/data, not published) and equal to nominal alpha to 3 decimals', () => {
    expect(fleissKappa(pandalm.labels).kappa).toBeCloseTo(0.8642, 4);
  });

  it('LLMFAO crowd, the 998 pairs with five votes: κ 0.2925 (computed in shared/data, not published)', () => {
    const byPair = new Map<number, string[]>();
    for (const v of llmfao.crowdVotes) byPair.set(v.pair, [...(byPair.get(v.pair) ?? []), v.outcome]);
    const five = [...byPair.values()].filter((votes) => votes.length === 5);
    expect(five).toHaveLength(998);
    expect(fleissKappa(five).kappa).toBeCloseTo(0.2925, 4);
  });
});

describe('fleissKappa definitions', () => {
  const diagnoses = classic.fleiss_1971_psychiatric_diagnoses.ratings;

  it('per-category kappas average back to the overall kappa, weighted by p_j(1 − p_j)', () => {
    const { kappa, perCategory } = fleissKappa(diagnoses);
    let num = 0;
    let den = 0;
    for (const c of perCategory) {
      num += c.proportion * (1 - c.proportion) * c.kappa!;
      den += c.proportion * (1 - c.proportion);
    }
    expect(num / den).toBeCloseTo(kappa!, 12);
  });

  it("Conger's kappa equals a brute-force mean over rater pairs, and Cohen's kappa for two raters", () => {
    expect(fleissKappa(diagnoses).kappaConger).toBeCloseTo(textbookConger(diagnoses)!, 12);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1 }), (pairs) => {
        const conger = fleissKappa(pairs).kappaConger;
        const cohen = cohenKappa(
          pairs.map((p) => p[0]),
          pairs.map((p) => p[1]),
        );
        if (cohen === null) expect(conger).toBeNull();
        else expect(conger).toBeCloseTo(cohen, 10);
      }),
    );
  });

  it("Randolph's free-marginal kappa uses q = all categories, declared ones included", () => {
    const pBar = percentAgreement(diagnoses).meanPairwise!;
    expect(fleissKappa(diagnoses).randolph).toBeCloseTo((pBar - 1 / 5) / (1 - 1 / 5), 12);
    const declared = fleissKappa(diagnoses, { categories: [1, 2, 3, 4, 5, 6, 7] });
    expect(declared.randolph).toBeCloseTo((pBar - 1 / 7) / (1 - 1 / 7), 12);
    expect(declared.kappa).toBeCloseTo(0.4302445, 7);
    expect(declared.perCategory[6]).toEqual({ category: 7, proportion: 0, kappa: null });
  });

  it('drops every unit with a missing rating', () => {
    const result = fleissKappa([...diagnoses, [1, null, 2, 3, 4, 5], [null, null, null, null, null, null]]);
    expect(result.unitsUsed).toBe(30);
    expect(result.kappa).toBeCloseTo(0.4302445, 7);
  });

  it('is null (all three kappas) when everyone uses one category, or nobody rated a whole unit', () => {
    const one = fleissKappa([['x', 'x'], ['x', 'x']]);
    expect([one.kappa, one.kappaConger, one.randolph]).toEqual([null, null, null]);
    expect(one.perCategory).toEqual([{ category: 'x', proportion: 1, kappa: null }]);
    const none = fleissKappa([[1, null]]);
    expect([none.kappa, none.kappaConger, none.randolph, none.unitsUsed]).toEqual([null, null, null, 0]);
  });
});
