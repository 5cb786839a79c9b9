/**
 * Fleiss' (1971) kappa for m raters per unit, with its per-category kappas (Fleiss 1971, eq. 11),
 * Conger's (1980) exact kappa (chance agreement from each rater's own marginals: the mean over rater
 * pairs of Σ_j p_rj p_sj, as R irr::kappam.fleiss(exact = TRUE)) and Randolph's (2005)
 * free-marginal kappa (chance = 1/q, q = number of categories, declared ones included).
 * Units with any missing rating are dropped, so every unit used has the same m.
 */
import { toEncoded, type CategoriesOption, type EncodedRatings, type Label, type Ratings } from './labels.ts';

export interface FleissCategory {
  readonly category: Label;
  /** Share of all ratings in this category. */
  readonly proportion: number;
  /** Agreement on this category against all others; null when no one (or everyone) used it. */
  readonly kappa: number | null;
}

export interface FleissKappa {
  readonly kappa: number | null;
  readonly kappaConger: number | null;
  readonly randolph: number | null;
  readonly categories: readonly Label[];
  readonly perCategory: readonly FleissCategory[];
  readonly unitsUsed: number;
}

export function fleissKappa(ratings: Ratings | EncodedRatings, options: CategoriesOption = {}): FleissKappa {
  const enc = toEncoded(ratings, options);
  const { nUnits, nRaters: m, codes, categories } = enc;
  const k = categories.length;
  // byRater[r*k + j]: how often rater r chose category j on the units used.
  const byRater = new Float64Array(m * k);
  const totals = new Float64Array(k);
  // Σ_units Σ_j n_uj(m − n_uj), the disagreeing ordered pairs, per category.
  const disagreeing = new Float64Array(k);
  const cnt = new Int32Array(k);
  const distinct = new Int32Array(Math.max(1, Math.min(k, m)));
  let used = 0;
  let agreeingPairs = 0;
  units: for (let u = 0, base = 0; u < nUnits; u++, base += m) {
    for (let r = 0; r < m; r++) if (codes[base + r]! < 0) continue units;
    let nd = 0;
    for (let r = 0; r < m; r++) {
      const c = codes[base + r]!;
      if (cnt[c]!++ === 0) distinct[nd++] = c;
      byRater[r * k + c]! += 1;
    }
    for (let i = 0; i < nd; i++) {
      const c = distinct[i]!;
      const x = cnt[c]!;
      totals[c]! += x;
      agreeingPairs += x * (x - 1);
      disagreeing[c]! += x * (m - x);
      cnt[c] = 0;
    }
    used++;
  }

  const total = used * m;
  const pairs = used * m * (m - 1);
  const pBar = pairs > 0 ? agreeingPairs / pairs : null;
  let pe = 0;
  let peConger = 0;
  const perCategory: FleissCategory[] = [];
  for (let j = 0; j < k; j++) {
    const p = total > 0 ? totals[j]! / total : 0;
    pe += p * p;
    if (m >= 2 && used > 0) {
      // Σ_{r≠s} p_rj p_sj = (Σ_r p_rj)² − Σ_r p_rj², averaged over the m(m−1) ordered rater pairs.
      let s = 0;
      let s2 = 0;
      for (let r = 0; r < m; r++) {
        const q = byRater[r * k + j]! / used;
        s += q;
        s2 += q * q;
      }
      peConger += (s * s - s2) / (m * (m - 1));
    }
    const denominator = pairs * p * (1 - p);
    perCategory.push({
      category: categories[j]!,
      proportion: p,
      kappa: pairs > 0 && denominator > 0 ? 1 - disagreeing[j]! / denominator : null,
    });
  }
  const chance = (expected: number): number | null =>
    pBar === null || expected >= 1 ? null : (pBar - expected) / (1 - expected);
  return {
    kappa: chance(pe),
    kappaConger: chance(peConger),
    randolph: k >= 2 ? chance(1 / k) : null,
    categories,
    perCategory,
    unitsUsed: used,
  };
}
