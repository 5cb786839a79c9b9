import { describe, expect, it } from 'vitest';
import { bioTags, tokenize } from './exports.bio.ts';

describe('BIO tags', () => {
  it('splits words and single punctuation characters, never whitespace', () => {
    expect(tokenize('U.S.-based  Acme’s CEO, 2024.').map((t) => t.text)).toEqual(['U', '.', 'S', '.', '-', 'based', 'Acme', '’', 's', 'CEO', ',', '2024', '.']);
    const text = 'Café crème';
    expect(tokenize(text).map((t) => text.slice(t.start, t.end))).toEqual(['Café', 'crème']);
  });

  it('tags B- on the first token of a span and I- after it, O elsewhere', () => {
    const text = 'Ada Lovelace met Charles Babbage in London.';
    const { tokens, tags } = bioTags(text, [{ start: 36, end: 42, label: 'LOC' }, { start: 0, end: 12, label: 'PER' }, { start: 17, end: 32, label: 'PER' }]);
    expect(tokens.map((t, i) => `${t.text}/${tags[i]}`).join(' ')).toBe('Ada/B-PER Lovelace/I-PER met/O Charles/B-PER Babbage/I-PER in/O London/B-LOC ./O');
  });

  it('tags a token a span only partly covers, and lets the earlier (longer) of overlapping spans keep its tokens', () => {
    const text = 'New York City Council';
    // "York Cit" covers part of City; "New York City" (ORG nested inside LOC…) overlaps "City Council".
    expect(bioTags(text, [{ start: 4, end: 11, label: 'X' }]).tags).toEqual(['O', 'B-X', 'I-X', 'O']);
    expect(bioTags(text, [{ start: 9, end: 21, label: 'ORG' }, { start: 0, end: 13, label: 'LOC' }]).tags).toEqual(['B-LOC', 'I-LOC', 'I-LOC', 'B-ORG']);
  });
});
