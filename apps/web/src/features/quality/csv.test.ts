import { describe, expect, it } from 'vitest';
import { csvCell, fileSlug, toCsv } from './csv.ts';

describe('csvCell', () => {
  it('escapes text that a spreadsheet would run as a formula', () => {
    for (const bad of ['=HYPERLINK("x")', '+1+2', '-2+3', '@SUM(A1)', '\tcmd', '\rcmd']) {
      const cell = csvCell(bad);
      expect(cell.replace(/^"/, '')).toMatch(/^'/);
    }
    expect(csvCell('=1+1')).toBe("'=1+1");
  });
  it('writes numbers as numbers, negative ones included', () => {
    expect(csvCell(-0.25)).toBe('-0.25');
    expect(csvCell(3)).toBe('3');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
  });
  it('quotes commas, quotes, line breaks and edge spaces', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' pad')).toBe('" pad"');
    expect(csvCell('plain')).toBe('plain');
  });
  it('quotes an escaped formula that also needs quoting', () => {
    expect(csvCell('=A1,B1')).toBe(`"'=A1,B1"`);
  });
});

describe('toCsv', () => {
  it('joins rows with CRLF and ends with one', () => {
    expect(toCsv(['model', 'strength'], [['GPT-4', 0.31], ['-evil', -1]])).toBe("model,strength\r\nGPT-4,0.31\r\n'-evil,-1\r\n");
  });
});

describe('fileSlug', () => {
  it('keeps letters and digits', () => {
    expect(fileSlug('LLMFAO — Leaderboard (judgments)')).toBe('llmfao-leaderboard-judgments');
    expect(fileSlug('***')).toBe('accord');
  });
});
