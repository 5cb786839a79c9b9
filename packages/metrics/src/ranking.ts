/**
 * Agreement between two rankings with ties, each given as ordered groups (best first; items in one
 * group are tied), over the items both rankings contain. Kendall's tau-b and Spearman's rho on the
 * group positions, and the share of item pairs on which both rankings state the same relation
 * (ahead, tied or behind).
 */
import { MetricsError, describe, type Label } from './labels.ts';
import { kendallTauB, spearmanRho } from './rank.ts';

export type Ranking = readonly (readonly Label[])[];

export interface RankingAgreement {
  readonly itemsCompared: number;
  readonly tauB: number | null;
  readonly spearman: number | null;
  /** Share of item pairs ordered the same way (ties included as a relation); null below 2 items. */
  readonly pairAgreement: number | null;
}

function positions(ranking: Ranking, name: string): Map<Label, number> {
  const out = new Map<Label, number>();
  ranking.forEach((group, g) => {
    for (const item of group) {
      if (out.has(item)) throw new MetricsError(`rankingAgreement: ${name} lists item ${describe(item)} twice`);
      out.set(item, g);
    }
  });
  return out;
}

export function rankingAgreement(a: Ranking, b: Ranking): RankingAgreement {
  const pa = positions(a, 'first ranking');
  const pb = positions(b, 'second ranking');
  const x: number[] = [];
  const y: number[] = [];
  for (const [item, g] of pa) {
    const h = pb.get(item);
    if (h === undefined) continue;
    x.push(g);
    y.push(h);
  }
  const n = x.length;
  let same = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.sign(x[i]! - x[j]!) === Math.sign(y[i]! - y[j]!)) same++;
    }
  }
  const pairs = (n * (n - 1)) / 2;
  return {
    itemsCompared: n,
    tauB: kendallTauB(x, y),
    spearman: spearmanRho(x, y),
    pairAgreement: pairs === 0 ? null : same / pairs,
  };
}
