/**
 * Properties every statistic must keep (fast-check): rater order and unit order never change a
 * result, perfect agreement gives 1, relabelling categories never changes a nominal statistic, and
 * every number is finite or null.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  cohenKappa,
  dawidSkene,
  fleissKappa,
  icc,
  kendallW,
  krippendorffAlpha,
  lightKappa,
  majorityVote,
  percentAgreement,
  preferenceAgreement,
  type Label,
  type Response,
} from './index.ts';

type Grid = (number | null)[][];

const grid = (options: { minRaters?: number; nulls?: boolean } = {}): fc.Arbitrary<Grid> =>
  fc.integer({ min: options.minRaters ?? 1, max: 5 }).chain((raters) =>
    fc.array(
      fc.array(options.nulls === false ? fc.integer({ min: 0, max: 4 }) : fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }), {
        minLength: raters,
        maxLength: raters,
      }),
      { maxLength: 25 },
    ),
  );

/** A grid with a permutation of its rows and one of its columns. */
const permuted = (g: fc.Arbitrary<Grid> = grid()) =>
  g.chain((ratings) =>
    fc.tuple(
      fc.constant(ratings),
      fc.shuffledSubarray([...ratings.keys()], { minLength: ratings.length, maxLength: ratings.length }),
      fc.shuffledSubarray([...Array(ratings[0]?.length ?? 0).keys()], {
        minLength: ratings[0]?.length ?? 0,
        maxLength: ratings[0]?.length ?? 0,
      }),
    ),
  );

const reorder = (ratings: Grid, rows: number[], cols: number[]): Grid => rows.map((u) => cols.map((r) => ratings[u]![r]!));

/** Every statistic that takes a units × raters grid, flattened to named numbers (null kept). */
function allStatistics(ratings: Grid): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) out[`alpha ${level}`] = krippendorffAlpha(ratings, { level });
  const f = fleissKappa(ratings);
  Object.assign(out, { fleiss: f.kappa, conger: f.kappaConger, randolph: f.randolph, fleissUnits: f.unitsUsed });
  for (const [k, v] of Object.entries(percentAgreement(ratings))) out[`percent ${k}`] = v;
  for (const [k, v] of Object.entries(percentAgreement(ratings, { tolerance: 1 }))) out[`percent±1 ${k}`] = v;
  out.light = lightKappa(ratings);
  for (const [k, v] of Object.entries(icc(ratings))) out[k] = v;
  for (const [k, v] of Object.entries(kendallW(ratings))) out[`kendall ${k}`] = v;
  const pref = preferenceAgreement(ratings.map((row) => row.map((v) => (v === null ? null : v - 2))));
  for (const [k, v] of Object.entries(pref)) out[`preference ${k}`] = v;
  return out;
}

function expectSame(a: Record<string, number | null>, b: Record<string, number | null>): void {
  for (const key of Object.keys(a)) {
    const x = a[key]!;
    const y = b[key]!;
    if (x === null || y === null) expect([key, y]).toEqual([key, x]);
    else expect(Math.abs(x - y), key).toBeLessThan(1e-9);
  }
}

describe('invariance', () => {
  it('rater order and unit order never change a result', () => {
    fc.assert(
      fc.property(permuted(), ([ratings, rows, cols]) => {
        expectSame(allStatistics(ratings), allStatistics(reorder(ratings, rows, cols)));
      }),
      { numRuns: 200 },
    );
  });

  it('unit order and rater order do not change Cohen (rater swap), majority vote or Dawid–Skene', () => {
    fc.assert(
      fc.property(permuted(grid({ minRaters: 2 })), ([ratings, rows, cols]) => {
        const shuffled = reorder(ratings, rows, cols);
        for (const weights of ['none', 'linear', 'quadratic'] as const) {
          const a = cohenKappa(ratings.map((r) => r[0]!), ratings.map((r) => r[1]!), { weights });
          const b = cohenKappa(rows.map((u) => ratings[u]![1]!), rows.map((u) => ratings[u]![0]!), { weights });
          expectSame({ a }, { a: b });
        }
        const votes = majorityVote(ratings);
        expect(majorityVote(shuffled)).toEqual(rows.map((u) => votes[u]));
        const responses = (g: Grid): Response[] =>
          g.flatMap((row, u) => row.flatMap((v, r): Response[] => (v === null ? [] : [[`item${u}`, `rater${r}`, v]])));
        const ds = dawidSkene(responses(ratings), { classes: [0, 1, 2, 3, 4], init: 'vote-proportions', smoothing: 0.01 });
        const dsShuffled = dawidSkene(responses(ratings).reverse(), { classes: [0, 1, 2, 3, 4], init: 'vote-proportions', smoothing: 0.01 });
        // Exactly equal: responses are put in a canonical order inside dawidSkene.
        expect(dsShuffled).toEqual(ds);
        expect([...ds.posteriors.flat(), ...(ds.priors ?? []), ds.logLikelihood].every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('relabelling categories never changes a nominal statistic', () => {
    fc.assert(
      fc.property(grid(), fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 }), (ratings, perm) => {
        // Strings in a scrambled order, so positions change too.
        const relabel = (v: number | null): string | null => (v === null ? null : `c${perm[v]}`);
        const renamed = ratings.map((row) => row.map(relabel));
        const nominal = (g: (Label | null)[][]): Record<string, number | null> => {
          const f = fleissKappa(g);
          const p = percentAgreement(g);
          return {
            alpha: krippendorffAlpha(g, { level: 'nominal' }),
            fleiss: f.kappa,
            conger: f.kappaConger,
            randolph: f.randolph,
            light: lightKappa(g),
            cohen: g[0] && g[0].length >= 2 ? cohenKappa(g.map((r) => r[0]!), g.map((r) => r[1]!)) : null,
            allAgree: p.allAgree,
            meanPairwise: p.meanPairwise,
            meanPairwiseAvailable: p.meanPairwiseAvailable,
          };
        };
        expectSame(nominal(ratings), nominal(renamed));
        expect(majorityVote(renamed).map((v) => v.topCount)).toEqual(majorityVote(ratings).map((v) => v.topCount));
        expect(majorityVote(renamed).map((v) => v.winner)).toEqual(majorityVote(ratings).map((v) => relabel(v.winner as number | null)));
      }),
      { numRuns: 200 },
    );
  });
});

describe('perfect agreement gives 1', () => {
  it('for every agreement statistic, whenever at least two categories occur', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 20 }).filter((v) => new Set(v).size >= 2),
        (raters, truth) => {
          const ratings = truth.map((t) => Array<number>(raters).fill(t));
          for (const level of ['nominal', 'ordinal', 'interval', 'ratio'] as const) expect(krippendorffAlpha(ratings, { level })).toBe(1);
          const f = fleissKappa(ratings);
          expect([f.kappa, f.kappaConger, f.randolph]).toEqual([1, 1, 1]);
          for (const weights of ['none', 'linear', 'quadratic'] as const) expect(cohenKappa(truth, truth, { weights })).toBe(1);
          expect(lightKappa(ratings)).toBe(1);
          expect(percentAgreement(ratings)).toMatchObject({ allAgree: 1, meanPairwise: 1 });
          expect(kendallW(ratings).Wt).toBeCloseTo(1, 12);
          for (const v of Object.values(icc(ratings))) expect(v).toBeCloseTo(1, 12);
          const pref = preferenceAgreement(ratings.map((row) => row.map((v) => v - 5)), { scale: 4 });
          expect([pref.ordinalAlpha, pref.intervalAlpha]).toEqual([1, 1]);
        },
      ),
    );
  });
});

describe('results are finite or null', () => {
  it('for any grid, including empty ones, single raters and all-missing units', () => {
    fc.assert(
      fc.property(grid(), (ratings) => {
        for (const [key, v] of Object.entries(allStatistics(ratings))) {
          expect(v === null || Number.isFinite(v), `${key} = ${String(v)}`).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
