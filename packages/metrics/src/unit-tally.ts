/**
 * Per-unit category counts for the one-pass statistics. A tally is reused across units: `count`
 * tallies one unit's codes and `reset` clears only the categories it touched, so a pass over N units
 * costs O(N·R) whatever the number of categories.
 */
export class UnitTally {
  /** counts[c]: ratings of category c in the current unit. */
  readonly counts: Int32Array;
  /** The current unit's categories in order of first appearance; the first `size` entries are valid. */
  readonly distinct: Int32Array;
  size = 0;

  constructor(
    categories: number,
    private readonly raters: number,
  ) {
    this.counts = new Int32Array(categories);
    this.distinct = new Int32Array(Math.max(1, Math.min(categories, raters)));
  }

  /** Tallies the unit whose codes start at `base` (negative codes are missing); returns how many are present. */
  count(codes: Int32Array, base: number): number {
    const { counts, distinct, raters } = this;
    let present = 0;
    let size = 0;
    for (let r = 0; r < raters; r++) {
      const c = codes[base + r]!;
      if (c >= 0) {
        if (counts[c]!++ === 0) distinct[size++] = c;
        present++;
      }
    }
    this.size = size;
    return present;
  }

  reset(): void {
    for (let i = 0; i < this.size; i++) this.counts[this.distinct[i]!] = 0;
    this.size = 0;
  }
}
