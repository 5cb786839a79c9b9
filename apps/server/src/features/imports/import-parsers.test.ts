import { describe, expect, it } from 'vitest';
import { csvRecords, hostileReason, jsonArrayRecords, jsonlRecords, type RawRecord } from './import-parsers.ts';

/** Feeds the text in chunks of every size from 1 byte up, so no record depends on chunk boundaries. */
async function all(gen: (src: AsyncIterable<Uint8Array>) => AsyncGenerator<unknown>, text: string | Buffer, chunk: number) {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  async function* src() {
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  }
  const out: unknown[] = [];
  for await (const r of gen(src())) out.push(r);
  return out;
}

describe('jsonlRecords', () => {
  it('gives the same records with line numbers whatever the chunking, skipping blank lines and CRLF', async () => {
    const text = '\ufeff{"a":1}\r\n\n{"b":"é ✓ 𝄞"}\nnot json\n{"c":[1,2]}';
    const want = [{ line: 1, value: { a: 1 } }, { line: 3, value: { b: 'é ✓ 𝄞' } }, { line: 4, error: expect.stringMatching(/not valid JSON/) }, { line: 5, value: { c: [1, 2] } }];
    for (const size of [1, 2, 3, 5, 7, 64]) expect(await all((s) => jsonlRecords(s), text, size)).toEqual(want);
  });

  it('skips an over-long line to its end without holding it', async () => {
    const text = `{"x":"${'y'.repeat(100)}"}\n{"ok":true}\n`;
    expect(await all((s) => jsonlRecords(s, 50), text, 7)).toEqual([{ line: 1, error: 'is longer than the limit of 50 bytes' }, { line: 2, value: { ok: true } }]);
  });
});

describe('jsonArrayRecords', () => {
  it('splits a JSON array into elements with their starting lines and numbers, whatever the chunking', async () => {
    const text = '[\n  {"id": 1, "s": "a ] } , [ \\" x"},\n  {"id": 2, "n": [1, {"k": []}]},\n  3,\n  "str"\n]\n';
    const want = [
      { line: 2, element: 1, value: { id: 1, s: 'a ] } , [ " x' } },
      { line: 3, element: 2, value: { id: 2, n: [1, { k: [] }] } },
      { line: 4, element: 3, value: 3 },
      { line: 5, element: 4, value: 'str' },
    ];
    for (const size of [1, 3, 8, 1000]) expect(await all((s) => jsonArrayRecords(s), text, size)).toEqual(want);
  });

  it('reports a file that is not an array, or ends early', async () => {
    expect(await all((s) => jsonArrayRecords(s), '{"a":1}', 4)).toEqual([{ line: 1, error: expect.stringMatching(/not a JSON array/) }]);
    expect(await all((s) => jsonArrayRecords(s), '[{"a":1},{"b":', 4)).toEqual([{ line: 1, element: 1, value: { a: 1 } }, { line: 1, error: expect.stringMatching(/ends before/) }]);
    // Every element on one line (as Label Studio writes them): the numbers tell them apart.
    expect((await all((s) => jsonArrayRecords(s), '[{"a":1},{"b":2},{"c":3}]', 5)).map((r) => [(r as RawRecord).line, (r as RawRecord).element])).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
  });
});

describe('hostileReason', () => {
  it('refuses what PostgreSQL or our objects cannot take', () => {
    expect(hostileReason(JSON.parse('{"a":{"__proto__":{"x":1}}}'))).toMatch(/__proto__/);
    expect(hostileReason({ a: 'x\u0000' })).toMatch(/NUL/);
    expect(hostileReason({ a: '\ud800' })).toMatch(/unpaired/);
    expect(hostileReason({ a: '\ud83d\ude00 fine' })).toBeNull();
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(hostileReason(deep)).toMatch(/nests deeper than 32/);
  });
});

describe('csvRecords', () => {
  it('reports the line each record starts on, with CRLF, quoted line breaks and blank lines, whatever the chunking', async () => {
    const text = 'id,text\r\n"a","x\r\ny"\r\n\r\n"b","p\nq\nr"\r\nc,"bad"quote\r\nd,"one\r\ntwo""\r\nthree"\r\ne,"never closed\r\nf,1\r\n';
    const want = [
      { line: 2, value: { id: 'a', text: 'x\r\ny' } },
      { line: 5, value: { id: 'b', text: 'p\nq\nr' } },
      { line: 8, error: expect.stringMatching(/not a valid CSV record/) },
      { line: 9, value: { id: 'd', text: 'one\r\ntwo"\r\nthree' } },
      { line: 12, error: expect.stringMatching(/not a valid CSV record/) },
    ];
    for (const size of [1, 2, 3, 7, 1000]) expect(await all((s) => csvRecords(s), text, size)).toEqual(want);
    expect(await all((s) => csvRecords(s), 'id,text\n1,a\n2,b', 4)).toEqual([{ line: 2, value: { id: '1', text: 'a' } }, { line: 3, value: { id: '2', text: 'b' } }]);
  });

  it('skips an over-long record to its end and goes on', async () => {
    const text = `id,text\n1,"${'y\n'.repeat(50)}"\n2,ok\n`;
    expect(await all((s) => csvRecords(s, 40), text, 5)).toEqual([{ line: 2, error: 'is a record longer than the limit of 40 bytes' }, { line: 53, value: { id: '2', text: 'ok' } }]);
  });
});
