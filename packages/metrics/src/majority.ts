/**
 * Plurality vote per unit. A tie never picks a winner: `winner` is null and every tied label is in
 * `modes` (in category order), so a lead sees the split instead of a coin flip.
 */
import { toEncoded, type CategoriesOption, type EncodedRatings, type Label, type Ratings } from './labels.ts';
import { UnitTally } from './unit-tally.ts';

export interface MajorityVote {
  readonly winner: Label | null;
  readonly modes: readonly Label[];
  readonly isTie: boolean;
  readonly topCount: number;
  /** Non-missing ratings in the unit. */
  readonly total: number;
}

export function majorityVote(ratings: Ratings | EncodedRatings, options: CategoriesOption = {}): MajorityVote[] {
  const { nUnits, nRaters: R, codes, categories } = toEncoded(ratings, options);
  const k = categories.length;
  const tally = new UnitTally(k, R);
  const { counts, distinct } = tally;
  const out: MajorityVote[] = new Array<MajorityVote>(nUnits);
  for (let u = 0, base = 0; u < nUnits; u++, base += R) {
    const total = tally.count(codes, base);
    let top = 0;
    for (let i = 0; i < tally.size; i++) top = Math.max(top, counts[distinct[i]!]!);
    const modeCodes: number[] = [];
    for (let i = 0; i < tally.size; i++) if (counts[distinct[i]!] === top) modeCodes.push(distinct[i]!);
    tally.reset();
    modeCodes.sort((a, b) => a - b);
    const modes = modeCodes.map((c) => categories[c]!);
    out[u] = { winner: modes.length === 1 ? modes[0]! : null, modes, isTie: modes.length > 1, topCount: top, total };
  }
  return out;
}
