/**
 * A word-level diff of a rewritten response against its original, as the server stores it beside a
 * writing and the web app shows it live while the trainer types (one function, so both agree).
 * Tokens are words (runs of non-space characters) and the runs of whitespace between them, so joining
 * the `eq` and `del` parts gives the original back exactly, and `eq` and `ins` the rewrite; a word
 * followed by a new paragraph is still the same word.
 * Myers' O(ND) algorithm after trimming the common start and end: a light edit of a long text is cheap.
 */

export type DiffOp = 'eq' | 'ins' | 'del';
export interface DiffPart {
  op: DiffOp;
  text: string;
}

export interface WordDiff {
  parts: DiffPart[];
  /** Words inserted and deleted (an `eq` word counts nowhere). */
  inserted: number;
  deleted: number;
}

/** Words and the whitespace runs between them, in order. */
export function diffTokens(text: string): string[] {
  return text.match(/\s+|\S+/g) ?? [];
}

/** Above this many differing tokens on both sides, the middle is reported as one replacement. */
const MAX_EDIT = 4000;

function myers(a: readonly string[], b: readonly string[]): DiffPart[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDIT);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, off, d);
    }
  }
  return null;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], off: number, dEnd: number): DiffPart[] {
  const out: DiffPart[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d > 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? k + 1 : k - 1;
    const prevX = v[off + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: 'eq', text: a[--x]! });
      y--;
    }
    if (x === prevX) out.push({ op: 'ins', text: b[--y]! });
    else out.push({ op: 'del', text: a[--x]! });
  }
  while (x > 0 && y > 0) {
    out.push({ op: 'eq', text: a[--x]! });
    y--;
  }
  return out.reverse();
}

/** The diff of `after` against `before`, adjacent parts of one kind merged. */
export function wordDiff(before: string, after: string): WordDiff {
  const a = diffTokens(before);
  const b = diffTokens(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const midA = a.slice(start, a.length - end);
  const midB = b.slice(start, b.length - end);
  const mid = myers(midA, midB) ?? [...midA.map((text) => ({ op: 'del' as const, text })), ...midB.map((text) => ({ op: 'ins' as const, text }))];
  const raw: DiffPart[] = [...a.slice(0, start).map((text) => ({ op: 'eq' as const, text })), ...mid, ...a.slice(a.length - end).map((text) => ({ op: 'eq' as const, text }))];
  const parts: DiffPart[] = [];
  let inserted = 0;
  let deleted = 0;
  for (const p of raw) {
    if (/\S/.test(p.text)) {
      if (p.op === 'ins') inserted++;
      if (p.op === 'del') deleted++;
    }
    const last = parts[parts.length - 1];
    if (last && last.op === p.op) last.text += p.text;
    else parts.push({ ...p });
  }
  return { parts, inserted, deleted };
}
