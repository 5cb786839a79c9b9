import { describe, expect, it } from 'vitest';
import { parquetReadObjects } from 'hyparquet';
import { contentDisposition, csvCell, csvEncoder, jsonlEncoder, parquetEncoder, safeFileName, type Column } from './exports.format.ts';
import { groupsOf, pairsOf, resolveFilter } from './exports.service.ts';

const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString('utf8');

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', `"'\rcmd"`],
    ['=1,2', `"'=1,2"`],
  ])('escapes a formula-looking text cell %j as %j', (input, want) => {
    expect(csvCell(input)).toBe(want);
  });

  it.each([
    ['plain', 'plain'],
    ['a "quote"', '"a ""quote"""'],
    ['comma, here', '"comma, here"'],
    ['two\nlines', '"two\nlines"'],
    ['not = at start', 'not = at start'],
    ['', ''],
  ])('quotes %j per RFC 4180 as %j', (input, want) => {
    expect(csvCell(input)).toBe(want);
  });

  it('writes numbers as numbers (a negative number is not a formula), null as empty, dates as ISO and nested values as JSON text', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(0.5)).toBe('0.5');
    expect(csvCell(null)).toBe('');
    expect(csvCell(new Date('2026-12-01T10:00:00Z'))).toBe('2026-12-01T10:00:00.000Z');
    expect(csvCell([{ role: 'user', content: '=x' }])).toBe('"[{""role"":""user"",""content"":""=x""}]"');
  });

  it('writes a header row and CRLF line ends, and the header alone for an empty file', () => {
    const cols: Column[] = [
      { name: 'a', type: 'STRING' },
      { name: 'b', type: 'INT32' },
    ];
    const e = csvEncoder(cols);
    expect(text([...e.write([{ a: 'x', b: 1 }]), ...e.end()])).toBe('a,b\r\nx,1\r\n');
    expect(text(csvEncoder(cols).end())).toBe('a,b\r\n');
  });
});

describe('Content-Disposition', () => {
  it('gives an ASCII fallback and an RFC 5987 filename* for a non-ASCII name', () => {
    expect(contentDisposition('Évaluation «A»-dpo.jsonl')).toBe(`attachment; filename="_valuation _A_-dpo.jsonl"; filename*=UTF-8''%C3%89valuation%20%C2%ABA%C2%BB-dpo.jsonl`);
  });

  it('never lets quotes, backslashes, separators, control characters or a leading dot through', () => {
    const name = safeFileName('../..\\evil"; filename=x\r\n.exe', 'csv');
    expect(name).not.toMatch(/[/\\"\r\n;]/);
    expect(name.startsWith('.')).toBe(false);
    expect(name.endsWith('.csv')).toBe(true);
    const header = contentDisposition(name);
    // One quoted fallback, one filename*; nothing that ends the parameter early.
    expect(header).toMatch(/^attachment; filename="[^"\\]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+.^_`|~%-]+$/);
    expect(contentDisposition('100% "done"\\.csv')).toBe(`attachment; filename="100_ _done__.csv"; filename*=UTF-8''100%25%20%22done%22%5C.csv`);
    expect(safeFileName('   ', 'jsonl')).toBe('export.jsonl');
    expect(safeFileName('x'.repeat(500), 'jsonl')).toHaveLength(120 + '.jsonl'.length);
  });
});

describe('pairs a consensus orders', () => {
  it('pairwise: the preferred response is chosen; a tie gives no pair', () => {
    expect(pairsOf({ kind: 'pairwise', a: 'r1', b: 'r2', value: 2 })).toEqual([{ chosen: 'r2', rejected: 'r1' }]);
    expect(pairsOf({ kind: 'pairwise', a: 'r1', b: 'r2', value: -1 })).toEqual([{ chosen: 'r1', rejected: 'r2' }]);
    expect(pairsOf({ kind: 'pairwise', a: 'r1', b: 'r2', value: 0 })).toEqual([]);
    expect(groupsOf({ kind: 'pairwise', a: 'r1', b: 'r2', value: 0 })).toEqual([['r1', 'r2']]);
  });

  it('ranking: every pair from different groups, in group order; tied responses are never paired', () => {
    expect(pairsOf({ kind: 'ranking', groups: [['a'], ['b', 'c'], ['d']] })).toEqual([
      { chosen: 'a', rejected: 'b' },
      { chosen: 'a', rejected: 'c' },
      { chosen: 'a', rejected: 'd' },
      { chosen: 'b', rejected: 'd' },
      { chosen: 'c', rejected: 'd' },
    ]);
    expect(pairsOf({ kind: 'ranking', groups: [['a', 'b', 'c']] })).toEqual([]);
  });
});

describe('filters', () => {
  it('expands statistical, accepts comma lists and repeats, and names the field of a bad value', () => {
    expect(resolveFilter({}, ['statistical', 'majority,adjudicated']).methods).toEqual(['adjudicated', 'bradley-terry', 'dawid-skene', 'majority']);
    expect(resolveFilter({}, []).methods).toBeNull();
    expect(() => resolveFilter({}, ['majority,bogus'])).toThrow(/query\.method: unknown method "bogus"/);
    expect(() => resolveFilter({ from: '2026-02-01', to: '2026-01-01' }, [])).toThrow(/query\.to/);
  });

  it('reads a date-only `to` as the whole day', () => {
    const f = resolveFilter({ from: '2026-01-01', to: '2026-01-01' }, []);
    expect(f.from?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(f.toExclusive?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
});

describe('Parquet', () => {
  it('writes row groups as rows arrive and reads back as the same rows (JSON columns parsed, timestamps as dates)', async () => {
    const cols: Column[] = [
      { name: 'prompt', type: 'JSON' },
      { name: 'id', type: 'STRING' },
      { name: 'n', type: 'INT32' },
      { name: 'x', type: 'DOUBLE' },
      { name: 'at', type: 'TIMESTAMP' },
    ];
    const rows = Array.from({ length: 25 }, (_, i) => ({
      prompt: i % 2 ? [{ role: 'user', content: `q${i}` }] : `q${i}`,
      id: `id-${i}`,
      n: i % 3 === 0 ? null : i,
      x: i / 4,
      at: new Date(Date.UTC(2026, 0, 1, 0, i)),
    }));
    const e = parquetEncoder(cols, 10);
    const chunks: Uint8Array[] = [];
    // Two row groups are out before the end: the file is not held whole.
    chunks.push(...e.write(rows.slice(0, 12)));
    chunks.push(...e.write(rows.slice(12, 22)));
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    chunks.push(...e.write(rows.slice(22)), ...e.end());
    const buf = Buffer.concat(chunks);
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const back = await parquetReadObjects({ file });
    expect(back).toEqual(rows);
  });

  it('JSONL writes the columns in order with null for missing values', () => {
    const e = jsonlEncoder([
      { name: 'b', type: 'STRING' },
      { name: 'a', type: 'INT32' },
    ]);
    expect(text(e.write([{ a: 1, b: 'x' }, { b: 'y' }]))).toBe('{"b":"x","a":1}\n{"b":"y","a":null}\n');
  });
});
