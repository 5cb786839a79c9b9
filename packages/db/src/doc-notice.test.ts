import { describe, expect, it } from 'vitest';
import { docNotice } from './doc-store.ts';

describe('docNotice', () => {
  it('carries small entries in base64 beside the sequence numbers', () => {
    const n = JSON.parse(docNotice('rubric:x', 7, [new Uint8Array([1, 2, 3]), new Uint8Array([250])]));
    expect(n).toEqual({ doc: 'rubric:x', maxSeq: 7, n: 2, u: ['AQID', '+g=='] });
  });

  it('leaves out entries that would not fit in one notification (PostgreSQL refuses 8,000 bytes)', () => {
    const big = new Uint8Array(6_000);
    const text = docNotice('rubric:x', 3, [big]);
    expect(JSON.parse(text)).toEqual({ doc: 'rubric:x', maxSeq: 3, n: 1 });
    const many = Array.from({ length: 2_000 }, () => new Uint8Array(3));
    expect(docNotice('rubric:x', 2_000, many).length).toBeLessThan(7_900);
  });
});
