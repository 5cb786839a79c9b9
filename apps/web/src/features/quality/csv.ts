/**
 * CSV for the dashboard's downloads, built in the browser (RFC 4180: CRLF lines, fields quoted when
 * they hold a comma, quote or line break). Text cells that a spreadsheet would run as a formula
 * (starting with = + - @, a tab or a carriage return) get a leading apostrophe (OWASP "CSV
 * injection"): annotator and model names are untrusted. Numbers are written as numbers, never escaped.
 */

export type CsvCell = string | number | boolean | null | undefined;

export interface CsvTable {
  /** The file name without extension, e.g. `llmfao-leaderboard`. */
  name: string;
  headers: string[];
  rows: CsvCell[][];
}

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(headers: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [headers, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** A file name from free text: letters, digits and dashes only. */
export function fileSlug(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'accord'
  );
}

/** Saves the table as `<name>.csv` (UTF-8 with a byte-order mark, so spreadsheets read names right). */
export function downloadCsv(table: CsvTable): void {
  const blob = new Blob(['\uFEFF', toCsv(table.headers, table.rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${fileSlug(table.name)}.csv`;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoke after the click has been handled (the download keeps its own reference).
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
