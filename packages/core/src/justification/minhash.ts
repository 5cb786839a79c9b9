/**
 * Near-copies of justifications: MinHash signatures over word shingles, and LSH band keys so a
 * server finds the candidates by an index lookup instead of comparing with a whole project.
 *
 * - Words: lower-cased runs of letters and digits (punctuation and spacing do not matter).
 * - Shingles: every run of `SHINGLE` consecutive words, hashed with FNV-1a (32 bits).
 * - Signature: for each of `HASHES` seeded mixes (murmur3's finaliser of hash ^ seed), the minimum
 *   over the shingles. The share of equal entries of two signatures estimates the Jaccard
 *   similarity of their shingle sets (standard error ≈ √(J(1−J)/64) ≈ 0.05 at J = 0.8).
 * - Bands: `BANDS` bands of `ROWS` entries, each hashed with its band number into one 32-bit key;
 *   two texts share a key with probability 1 − (1 − J⁴)¹⁶: ≈ 1.00 at J = 0.8, 0.64 at 0.5, 0.15 at 0.3.
 * Everything is deterministic (no random seeds), so signatures stored today compare with tomorrow's.
 */

export const SHINGLE = 3;
export const HASHES = 64;
export const BANDS = 16;
export const ROWS = HASHES / BANDS;
/** Texts shorter than this (in words) are not compared: short phrases repeat by nature. */
export const MIN_COPY_WORDS = 8;

export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEEDS = Array.from({ length: HASHES }, (_, i) => fmix(0x9e3779b9 ^ Math.imul(i + 1, 0x27d4eb2f)));

/** The text's shingle hashes (distinct); a text shorter than a shingle is one shingle. */
export function shingles(text: string): number[] {
  const w = words(text);
  if (w.length === 0) return [];
  const out = new Set<number>();
  if (w.length < SHINGLE) out.add(fnv1a(w.join(' ')));
  for (let i = 0; i + SHINGLE <= w.length; i++) out.add(fnv1a(w.slice(i, i + SHINGLE).join(' ')));
  return [...out];
}

/** The MinHash signature (HASHES unsigned 32-bit values), or null for a text without words. */
export function minhash(text: string): number[] | null {
  const sh = shingles(text);
  if (sh.length === 0) return null;
  const sig = new Array<number>(HASHES).fill(0xffffffff);
  for (const x of sh) {
    for (let i = 0; i < HASHES; i++) {
      const v = fmix(x ^ SEEDS[i]!);
      if (v < sig[i]!) sig[i] = v;
    }
  }
  return sig;
}

/** Estimated Jaccard similarity of the two texts' shingle sets. */
export function similarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** The LSH band keys of a signature, as signed 32-bit integers (a PostgreSQL `integer`). */
export function bandKeys(sig: readonly number[]): number[] {
  const keys: number[] = [];
  for (let b = 0; b < BANDS; b++) {
    let h = fmix(0x3c6ef372 ^ b);
    for (let r = 0; r < ROWS; r++) h = fmix(h ^ sig[b * ROWS + r]!);
    keys.push(h | 0);
  }
  return keys;
}

/** Whether the text is long enough to be compared for near-copies. */
export const comparable = (text: string) => words(text).length >= MIN_COPY_WORDS;
