/**
 * Export file formats, written incrementally from batches of rows that share one column list:
 * JSONL (one object a line), CSV (RFC 4180: CRLF, quotes doubled, a header row; text cells that a
 * spreadsheet would run as a formula prefixed with `'`, as OWASP's CSV-injection advice says;
 * nested values as JSON text) and Parquet (hyparquet-writer's incremental writer: each call writes
 * whole row groups, which are handed on at once, so memory holds one row group). Also the
 * `Content-Disposition` of a download (RFC 6266 with an RFC 5987 `filename*`).
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';

export type ColumnType = 'STRING' | 'JSON' | 'INT32' | 'DOUBLE' | 'TIMESTAMP' | 'BOOLEAN';
export interface Column {
  name: string;
  type: ColumnType;
}
export type Row = Record<string, unknown>;

/** Writes batches of rows to bytes; `end()` returns the file's last bytes. */
export interface FileEncoder {
  write(rows: Row[]): Uint8Array[];
  end(): Uint8Array[];
}

const utf8 = new TextEncoder();

// ---------------------------------------------------------------- JSONL

export function jsonlEncoder(columns: Column[]): FileEncoder {
  return {
    write(rows) {
      if (rows.length === 0) return [];
      let text = '';
      for (const r of rows) {
        const o: Row = {};
        for (const c of columns) o[c.name] = r[c.name] ?? null;
        text += JSON.stringify(o) + '\n';
      }
      return [utf8.encode(text)];
    },
    end: () => [],
  };
}

// ---------------------------------------------------------------- CSV

/** Leading characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: formula-looking text prefixed with `'`, then quoted when it holds `"`, `,`, CR or LF. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : '';
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'string') text = FORMULA_START.test(value) ? `'${value}` : value;
  // Nested values as JSON text (it starts with `[`, `{` or `"`, never a formula character).
  else text = JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (cells: unknown[]) => cells.map(csvCell).join(',') + '\r\n';

export function csvEncoder(columns: Column[]): FileEncoder {
  let header = false;
  return {
    write(rows) {
      let text = '';
      if (!header) {
        header = true;
        text += columns.map((c) => csvCell(c.name)).join(',') + '\r\n';
      }
      for (const r of rows) text += csvLine(columns.map((c) => r[c.name]));
      return text ? [utf8.encode(text)] : [];
    },
    end() {
      // An empty export still has its header.
      if (header) return [];
      header = true;
      return [utf8.encode(columns.map((c) => csvCell(c.name)).join(',') + '\r\n')];
    },
  };
}

// ---------------------------------------------------------------- Parquet

/** A ByteWriter whose bytes are taken out after each row group (flush) and at the end. */
class ChunkWriter extends ByteWriter {
  chunks: Uint8Array[] = [];
  take(): Uint8Array[] {
    if (this.index > 0) this.chunks.push(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
  flush(): void {
    if (this.index > 0) this.chunks.push(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
  }
  override finish(): void {
    this.flush();
  }
}

const PARQUET_TYPE: Record<ColumnType, Record<string, unknown>> = {
  STRING: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  JSON: { type: 'BYTE_ARRAY', converted_type: 'JSON' },
  INT32: { type: 'INT32' },
  DOUBLE: { type: 'DOUBLE' },
  TIMESTAMP: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  BOOLEAN: { type: 'BOOLEAN' },
};

/**
 * Parquet: rows are buffered up to `rowGroupRows` and written as one row group; nested values are
 * JSON columns (logical type JSON), timestamps milliseconds UTC, every column optional (nullable).
 */
export function parquetEncoder(columns: Column[], rowGroupRows = 2000): FileEncoder {
  const writer = new ChunkWriter(1 << 16);
  const schema = [
    { name: 'root', num_children: columns.length },
    ...columns.map((c) => ({ name: c.name, repetition_type: 'OPTIONAL', ...PARQUET_TYPE[c.type] })),
  ];
  const pw = new ParquetWriter({ writer, schema: schema as never, createdBy: 'accord' });
  let pending: Row[] = [];
  const flushGroup = () => {
    if (pending.length === 0) return;
    const columnData = columns.map((c) => ({
      name: c.name,
      data: pending.map((r) => {
        const v = r[c.name];
        if (v === undefined || v === null) return null;
        if (c.type === 'TIMESTAMP') return v instanceof Date ? v : new Date(String(v));
        return v;
      }),
    }));
    void pw.write({ columnData, rowGroupSize: pending.length });
    pending = [];
  };
  return {
    write(rows) {
      for (const r of rows) {
        pending.push(r);
        if (pending.length >= rowGroupRows) flushGroup();
      }
      return writer.take();
    },
    end() {
      flushGroup();
      void pw.finish();
      return writer.take();
    },
  };
}

export function encoderFor(format: 'jsonl' | 'csv' | 'parquet', columns: Column[]): FileEncoder {
  return format === 'jsonl' ? jsonlEncoder(columns) : format === 'csv' ? csvEncoder(columns) : parquetEncoder(columns);
}

// ---------------------------------------------------------------- Content-Disposition

/** RFC 5987 `attr-char`s stay; everything else is percent-encoded from UTF-8. */
const encode5987 = (s: string) => encodeURIComponent(s).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * A file name safe on every file system: no path separators, control characters, quotes or
 * characters Windows refuses; no leading dots; at most 120 characters before the extension.
 */
export function safeFileName(base: string, ext: string): string {
  const cleaned = base
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f/\\:*?"<>|;]+/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .slice(0, 120)
    .trim();
  return `${cleaned || 'export'}.${ext}`;
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 §4.3: a
 * recipient that understands `filename*` prefers it). The fallback replaces anything beyond
 * printable ASCII and the quoting characters with `_`.
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encode5987(fileName)}`;
}
