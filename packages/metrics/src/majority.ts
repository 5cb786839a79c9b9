/**
 * Plurality vote per unit. A tie never picks a winner: `winner` is null and every tied label is in
 * `modes` (in category order), so a lead sees the split instead of a coin flip.
 */
import { toEncoded, type CategoriesOption, type EncodedRatings, type Label, type Ratings } from './labels.ts';

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
  const cnt = new Int32Array(k);
  const distinct = new Int32Array(Math.max(1, Math.min(k, R)));
  const out: MajorityVote[] = new Array<MajorityVote>(nUnits);
  for (let u = 0, base = 0; u < nUnits; u++, base += R) {
    let nd = 0;
    let total = 0;
    let top = 0;
    for (let r = 0; r < R; r++) {
      const c = codes[base + r]!;
      if (c < 0) continue;
      if (cnt[c] === 0) distinct[nd++] = c;
      const x = ++cnt[c]!;
      if (x > top) top = x;
      total++;
    }
    const modeCodes: number[] = [];
    for (let i = 0; i < nd; i++) {
      const c = distinct[i]!;
      if (cnt[c] === top) modeCodes.push(c);
      cnt[c] = 0;
    }
    modeCodes.sort((a, b) => a - b);
    const modes = modeCodes.map((c) => categories[c]!);
    out[u] = { winner: modes.length === 1 ? modes[0]! : null, modes, isTie: modes.length > 1, topCount: top, total };
  }
  return out;
}
