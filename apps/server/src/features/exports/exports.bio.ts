/**
 * BIO tags for entity spans, as token-classification tools read them (CoNLL / Hugging Face
 * `tokens` + `ner_tags`). Tokenisation, in full: a token is a run of letters, marks and digits, or
 * one other character that is not whitespace (so "U.S.-based" is U . S . - based); whitespace
 * separates and is never a token. A token is tagged with a span's type when it overlaps the span
 * (shares a character with it): `B-<type>` on the span's first such token, `I-<type>` after, `O`
 * elsewhere. BIO cannot nest: where spans overlap, the one that starts first (the longer one on
 * equal starts) keeps its tokens and the other tags only tokens still free.
 */

export interface Token {
  text: string;
  start: number;
  /** Exclusive. */
  end: number;
}

const TOKEN = /[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu;

export function tokenize(text: string): Token[] {
  return [...text.matchAll(TOKEN)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
}

export function bioTags(text: string, spans: readonly { start: number; end: number; label: string }[]): { tokens: Token[]; tags: string[] } {
  const tokens = tokenize(text);
  const tags = tokens.map(() => 'O');
  const ordered = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  for (const s of ordered) {
    let first = true;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.end <= s.start) continue;
      if (t.start >= s.end) break;
      if (tags[i] !== 'O') {
        // Taken by an earlier span: this span's next free token would begin a new entity.
        first = true;
        continue;
      }
      tags[i] = `${first ? 'B' : 'I'}-${s.label}`;
      first = false;
    }
  }
  return { tokens, tags };
}
