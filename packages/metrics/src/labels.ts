/**
 * Label handling shared by every statistic: the `Label`/`Ratings` shapes, the one error class, the
 * canonical label order (numbers ascending, strings by Unicode code point) and the dense encoding
 * (labels → small integer codes in one typed array) that the fast paths run on.
 */

export type Label = string | number;
/** Units (items) × raters; `null` (or a hole / `undefined`) = missing. */
export type Ratings = readonly (readonly (Label | null | undefined)[])[];

/** Thrown for input that no statistic can be computed from (mixed label types, unknown labels, …). */
export class MetricsError extends Error {
  override readonly name = 'MetricsError';
}

/**
 * Dense form of `Ratings`: `codes[u * nRaters + r]` is the position of the label in `categories`,
 * or -1 when missing. Build it once with `encodeRatings` and pass it to several statistics.
 */
export interface EncodedRatings {
  readonly kind: 'encoded-ratings';
  readonly nUnits: number;
  readonly nRaters: number;
  readonly codes: Int32Array;
  readonly categories: readonly Label[];
}

export interface CategoriesOption {
  /** Ordered label set; positions in it drive weights and ordinal distances. */
  readonly categories?: readonly Label[];
}

function isEncoded(x: unknown): x is EncodedRatings {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'encoded-ratings';
}

/**
 * Code-point order, not UTF-16 code-unit order (what `<` does): they differ when a surrogate pair
 * meets a BMP character at U+E000..U+FFFF. The fix-up below is the classic ICU one.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Numbers ascending, strings by code point; callers guarantee the two have the same type. */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareStrings(String(a), String(b));
}

export function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Throws unless `v` is a finite number or a string. */
export function checkLabel(v: unknown, where: string): asserts v is Label {
  if (typeof v === 'string') return;
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return;
    throw new MetricsError(`${where}: label ${String(v)} is not a finite number`);
  }
  throw new MetricsError(`${where}: label ${describe(v)} is neither a string nor a number`);
}

export function mixedError(where: string, a: Label, b: Label): MetricsError {
  return new MetricsError(
    `${where}: labels mix strings and numbers (${describe(a)} and ${describe(b)}); use one type, e.g. convert all to strings`,
  );
}

/** Validates one type throughout and returns the sorted distinct labels. */
export function sortedDistinct(labels: Iterable<Label>, where: string): Label[] {
  const seen = new Set<Label>();
  let first: Label | undefined;
  for (const v of labels) {
    checkLabel(v, where);
    if (first === undefined) first = v;
    else if (typeof v !== typeof first) throw mixedError(where, first, v);
    seen.add(v);
  }
  return [...seen].sort(compareLabels);
}

/** Validates a declared category list (one type, no duplicates) and returns label → position. */
export function indexCategories(categories: readonly Label[], where: string): Map<Label, number> {
  const index = new Map<Label, number>();
  let first: Label | undefined;
  for (const [i, c] of categories.entries()) {
    checkLabel(c, `${where} categories`);
    if (first === undefined) first = c;
    else if (typeof c !== typeof first) throw mixedError(`${where} categories`, first, c);
    if (index.has(c)) throw new MetricsError(`${where}: category ${describe(c)} is declared twice`);
    index.set(c, i);
  }
  return index;
}

export function unknownLabel(where: string, v: Label): MetricsError {
  return new MetricsError(`${where}: label ${describe(v)} is not in the declared categories`);
}

/** Small integer labels (the common case: Likert, −3..+3, class ids) skip the Map via this table. */
const SMALL_OFFSET = 1024;
const SMALL_MASK = 2047;

/**
 * Maps every label to its position in `categories` (declared, or the sorted observed labels) in one
 * pass: codes are first assigned in order of appearance, then remapped through a small table once the
 * sorted label set is known, so the per-value cost is one table or Map lookup.
 */
export function encodeRatings(ratings: Ratings, options: CategoriesOption = {}): EncodedRatings {
  const where = 'encodeRatings';
  const nUnits = ratings.length;
  let nRaters = 0;
  for (const row of ratings) if (row.length > nRaters) nRaters = row.length;
  // Every cell is written below (−1 for missing), so no separate fill pass over the array.
  const codes = new Int32Array(nUnits * nRaters);
  const small = new Int32Array(SMALL_MASK + 1).fill(-1);
  const declared = options.categories;
  const index = declared === undefined ? new Map<Label, number>() : indexCategories(declared, where);
  const seen: Label[] = [];
  if (declared !== undefined) {
    for (const [label, i] of index) {
      if (typeof label === 'number' && ((label + SMALL_OFFSET) & SMALL_MASK) === label + SMALL_OFFSET) {
        small[label + SMALL_OFFSET] = i;
      }
    }
  }
  for (let u = 0; u < nUnits; u++) {
    const row = ratings[u]!;
    const base = u * nRaters;
    for (let r = row.length; r < nRaters; r++) codes[base + r] = -1;
    for (let r = 0; r < row.length; r++) {
      const v = row[r];
      if (v === null || v === undefined) {
        codes[base + r] = -1;
        continue;
      }
      const s = typeof v === 'number' ? v + SMALL_OFFSET : -1;
      const isSmall = (s & SMALL_MASK) === s;
      let c = isSmall ? small[s]! : (index.get(v) ?? -1);
      if (c < 0) {
        c = newLabel(v, declared, seen, where);
        if (isSmall) small[s] = c;
        else index.set(v, c);
      }
      codes[base + r] = c;
    }
  }
  if (declared !== undefined) return { kind: 'encoded-ratings', nUnits, nRaters, codes, categories: declared };

  const order = seen.map((_, i) => i).sort((a, b) => compareLabels(seen[a]!, seen[b]!));
  const categories = order.map((i) => seen[i]!);
  const remap = new Int32Array(seen.length);
  let identity = true;
  for (let pos = 0; pos < order.length; pos++) {
    remap[order[pos]!] = pos;
    if (order[pos] !== pos) identity = false;
  }
  if (!identity) {
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c >= 0) codes[i] = remap[c]!;
    }
  }
  return { kind: 'encoded-ratings', nUnits, nRaters, codes, categories };
}

/** Slow path of `encodeRatings`: a label not met before (validated here, once per distinct label). */
function newLabel(v: unknown, declared: readonly Label[] | undefined, seen: Label[], where: string): number {
  checkLabel(v, where);
  if (declared !== undefined) {
    const first = declared[0];
    if (first !== undefined && typeof first !== typeof v) throw mixedError(where, first, v);
    throw unknownLabel(where, v);
  }
  if (seen.length > 0 && typeof v !== typeof seen[0]) throw mixedError(where, seen[0]!, v);
  seen.push(typeof v === 'number' ? v + 0 : v);
  return seen.length - 1;
}

/** Accepts either form; re-encodes an encoded input only when a different category list is asked for. */
export function toEncoded(input: Ratings | EncodedRatings, options: CategoriesOption = {}): EncodedRatings {
  if (!isEncoded(input)) return encodeRatings(input, options);
  checkEncoded(input);
  const declared = options.categories;
  if (declared === undefined || declared === input.categories) return input;
  const index = indexCategories(declared, 'categories');
  const remap = input.categories.map((c) => {
    const i = index.get(c);
    if (i === undefined) throw unknownLabel('categories', c);
    return i;
  });
  const codes = new Int32Array(input.codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = input.codes[i]!;
    codes[i] = c >= 0 ? remap[c]! : -1;
  }
  return { ...input, codes, categories: declared };
}

/** A hand-built encoded input must be consistent, or the kernels would read out of range. */
function checkEncoded({ nUnits, nRaters, codes, categories }: EncodedRatings): void {
  if (!(Number.isInteger(nUnits) && Number.isInteger(nRaters) && codes.length === nUnits * nRaters)) {
    throw new MetricsError(`encoded ratings: codes has ${codes.length} entries, expected nUnits × nRaters = ${nUnits} × ${nRaters}`);
  }
  let lo = 0;
  let hi = -1;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
  }
  if (lo < -1 || hi >= categories.length) {
    throw new MetricsError(`encoded ratings: codes must be −1 (missing) or 0..${categories.length - 1}, found ${lo < -1 ? lo : hi}`);
  }
}

/** Numeric value of each category, for statistics that need numbers (interval, ratio, tolerance). */
export function numericCategories(categories: readonly Label[], where: string): Float64Array {
  const values = new Float64Array(categories.length);
  for (const [i, c] of categories.entries()) {
    if (typeof c !== 'number') {
      throw new MetricsError(`${where} needs numeric labels, got ${describe(c)}`);
    }
    values[i] = c;
  }
  return values;
}
