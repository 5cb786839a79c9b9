import { describe, expect, it } from 'vitest';
import { createLineCounter, fileNameOf } from './exports.ts';

describe('fileNameOf', () => {
  it('prefers filename* and decodes it', () => {
    expect(fileNameOf(`attachment; filename="_valuation-dpo.jsonl"; filename*=UTF-8''%C3%89valuation-dpo.jsonl`, 'x')).toBe('Évaluation-dpo.jsonl');
  });
  it('reads a quoted filename, and falls back without a header', () => {
    expect(fileNameOf('attachment; filename="a b.csv"', 'x')).toBe('a b.csv');
    expect(fileNameOf(null, 'export.jsonl')).toBe('export.jsonl');
  });
});

describe('createLineCounter', () => {
  it('counts line ends across chunks', () => {
    const c = createLineCounter();
    const enc = new TextEncoder();
    c.add(enc.encode('{"a":1}\n{"a'));
    c.add(enc.encode('":2}\n'));
    expect(c.lines).toBe(2);
  });
});
