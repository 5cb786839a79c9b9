/**
 * Streaming readers for import files. Each yields one record at a time with the line it starts on,
 * or a rejection with its reason; memory stays bounded by the longest allowed record, whatever the
 * file size. Hostile input (bad UTF-8, NUL, unpaired surrogates, deep nesting, `__proto__` keys,
 * huge lines) becomes a line-numbered rejection, never an exception.
 */
import { parse as parseCsvSync } from 'csv-parse/sync';
import { IMPORT_LIMITS } from '@accord/core';

/** `element`: a JSON array's element number (1-based; Label Studio's tasks), which one line may hold many of. */
export type RawRecord = { line: number; element?: number; value: unknown } | { line: number; element?: number; error: string };

const NL = 0x0a;
const decoder = new TextDecoder('utf-8', { fatal: true });
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decode(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Why a parsed value may not be stored, or null. PostgreSQL refuses NUL and unpaired surrogates. */
export function hostileReason(value: unknown, maxDepth: number = IMPORT_LIMITS.maxDepth): string | null {
  const walk = (v: unknown, depth: number, path: string): string | null => {
    if (depth > maxDepth) return `nests deeper than ${maxDepth} levels (at ${path || 'the top'})`;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return `contains a NUL character${path ? ` in ${path}` : ''}`;
      if (UNPAIRED.test(v)) return `contains an unpaired UTF-16 surrogate${path ? ` in ${path}` : ''}`;
      return null;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const r = walk(v[i], depth + 1, `${path}[${i}]`);
        if (r) return r;
      }
      return null;
    }
    if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(k)) return `has the forbidden key "${k}"${path ? ` in ${path}` : ''}`;
        if (k.includes('\u0000') || UNPAIRED.test(k)) return `has a key with a NUL or unpaired surrogate${path ? ` in ${path}` : ''}`;
        const r = walk((v as Record<string, unknown>)[k], depth + 1, path ? `${path}.${k}` : k);
        if (r) return r;
      }
    }
    return null;
  };
  return walk(value, 0, '');
}

/** JSON.parse that turns every failure (syntax, stack overflow on deep nesting) into a reason. */
export function parseJsonText(text: string): { value: unknown } | { error: string } {
  try {
    // `__proto__` arrives as an own property with JSON.parse; hostileReason refuses it afterwards.
    return { value: JSON.parse(text) };
  } catch (e) {
    if (e instanceof RangeError) return { error: 'nests too deep to parse' };
    return { error: `is not valid JSON (${(e as Error).message.replace(/\s+/g, ' ').slice(0, 120)})` };
  }
}

/**
 * Splits a byte stream into lines (LF or CRLF) without ever holding more than `maxLineBytes` of one
 * line: a longer line is skipped to its end and reported.
 */
export async function* lines(source: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<{ line: number; text: string } | { line: number; error: string }> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let lineNo = 1;
  const finish = function* (): Generator<{ line: number; text: string } | { line: number; error: string }> {
    const n = lineNo++;
    if (tooLong) {
      yield { line: n, error: `is longer than the limit of ${maxLineBytes} bytes` };
    } else {
      let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      if (buf.length && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
      if (n === 1 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      const text = decode(buf);
      if (text === null) yield { line: n, error: 'is not valid UTF-8' };
      else yield { line: n, text };
    }
    parts = [];
    size = 0;
    tooLong = false;
  };
  for await (const chunk of source) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const i = buf.indexOf(NL);
      const piece = i === -1 ? buf : buf.subarray(0, i);
      if (!tooLong) {
        if (size + piece.length > maxLineBytes) {
          tooLong = true;
          parts = [];
          size = 0;
        } else if (piece.length) {
          // Copy: the chunk's memory may be reused by the stream.
          parts.push(Buffer.from(piece));
          size += piece.length;
        }
      }
      if (i === -1) break;
      yield* finish();
      buf = buf.subarray(i + 1);
    }
  }
  if (size > 0 || tooLong) yield* finish();
}

/** JSON Lines: one JSON value per line; blank lines are skipped. */
export async function* jsonlRecords(source: AsyncIterable<Uint8Array>, maxLineBytes: number = IMPORT_LIMITS.maxLineBytes): AsyncGenerator<RawRecord> {
  for await (const l of lines(source, maxLineBytes)) {
    if ('error' in l) {
      yield l;
      continue;
    }
    if (l.text.trim() === '') continue;
    const parsed = parseJsonText(l.text);
    if ('error' in parsed) {
      yield { line: l.line, error: parsed.error };
      continue;
    }
    const bad = hostileReason(parsed.value);
    yield bad ? { line: l.line, error: bad } : { line: l.line, value: parsed.value };
  }
}

/**
 * A JSON array (Label Studio's export) read one element at a time: a byte-level scanner tracks
 * strings and nesting, so only the current element is ever held. Records carry the line the element
 * starts on.
 */
export async function* jsonArrayRecords(source: AsyncIterable<Uint8Array>, maxElementBytes: number = IMPORT_LIMITS.maxLineBytes): AsyncGenerator<RawRecord> {
  let state: 'before' | 'between' | 'element' | 'after' = 'before';
  let depth = 0;
  let inString = false;
  let escape = false;
  let line = 1;
  let startLine = 1;
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let first = true;

  let elements = 0;
  const emit = (): RawRecord => {
    const n = startLine;
    const element = ++elements;
    if (tooLong) return { line: n, element, error: `is an element longer than the limit of ${maxElementBytes} bytes` };
    const text = decode(Buffer.concat(parts, size));
    if (text === null) return { line: n, element, error: 'is not valid UTF-8' };
    const parsed = parseJsonText(text);
    if ('error' in parsed) return { line: n, element, error: parsed.error };
    const bad = hostileReason(parsed.value);
    return bad ? { line: n, element, error: bad } : { line: n, element, value: parsed.value };
  };

  for await (const chunk of source) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (first) {
      first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    let elementFrom = state === 'element' ? 0 : -1;
    const out: RawRecord[] = [];
    const keep = (from: number, to: number) => {
      if (tooLong || to <= from) return;
      if (size + (to - from) > maxElementBytes) {
        tooLong = true;
        parts = [];
        size = 0;
        return;
      }
      parts.push(Buffer.from(buf.subarray(from, to)));
      size += to - from;
    };
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === NL) line++;
      if (state === 'element') {
        if (inString) {
          if (escape) escape = false;
          else if (b === 0x5c) escape = true;
          else if (b === 0x22) inString = false;
          continue;
        }
        if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if (b === 0x7d || b === 0x5d) {
          if (depth === 0) {
            // A scalar element ended by the array's closing bracket.
            keep(elementFrom, i);
            out.push(emit());
            state = 'after';
            continue;
          }
          depth--;
          if (depth === 0) {
            keep(elementFrom, i + 1);
            out.push(emit());
            state = 'between';
          }
        } else if (b === 0x2c && depth === 0) {
          keep(elementFrom, i);
          out.push(emit());
          state = 'between';
        }
        continue;
      }
      if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
      if (state === 'before') {
        if (b !== 0x5b) {
          yield { line, error: 'is not a JSON array: a Label Studio export starts with [' };
          return;
        }
        state = 'between';
      } else if (state === 'between') {
        if (b === 0x2c) continue;
        if (b === 0x5d) {
          state = 'after';
          continue;
        }
        state = 'element';
        startLine = line;
        parts = [];
        size = 0;
        tooLong = false;
        depth = b === 0x7b || b === 0x5b ? 1 : 0;
        inString = b === 0x22;
        elementFrom = i;
      } else if (state === 'after') {
        yield* out;
        yield { line, error: 'has text after the end of the array' };
        return;
      }
    }
    if (state === 'element') keep(elementFrom, buf.length);
    yield* out;
  }
  const end = state as string;
  if (end === 'before') yield { line, error: 'is empty: a Label Studio export is a JSON array' };
  else if (end !== 'after') yield { line, error: 'ends before the JSON array is closed' };
}

/**
 * Splits CSV bytes into records at line breaks (LF or CRLF) outside quotes, with the line each record
 * starts on, never holding more than `maxRecordBytes` of one record. Quoted fields may hold line
 * breaks; `""` inside quotes toggles twice, so the quote state stays right.
 */
export async function* csvRawRecords(source: AsyncIterable<Uint8Array>, maxRecordBytes: number): AsyncGenerator<{ line: number; text: string } | { line: number; error: string }> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let inQuotes = false;
  let line = 1;
  let startLine = 1;
  let first = true;
  const finish = (): { line: number; text: string } | { line: number; error: string } => {
    const n = startLine;
    let out: { line: number; text: string } | { line: number; error: string };
    if (tooLong) out = { line: n, error: `is a record longer than the limit of ${maxRecordBytes} bytes` };
    else {
      let buf = Buffer.concat(parts, size);
      if (buf.length && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
      const text = decode(buf);
      out = text === null ? { line: n, error: 'is not valid UTF-8' } : { line: n, text };
    }
    parts = [];
    size = 0;
    tooLong = false;
    return out;
  };
  const keep = (piece: Buffer) => {
    if (tooLong || !piece.length) return;
    if (size + piece.length > maxRecordBytes) {
      tooLong = true;
      parts = [];
      size = 0;
    } else {
      parts.push(Buffer.from(piece));
      size += piece.length;
    }
  };
  for await (const chunk of source) {
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (first) {
      first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    let from = 0;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === 0x22) inQuotes = !inQuotes;
      else if (b === NL) {
        line++;
        if (!inQuotes) {
          keep(buf.subarray(from, i));
          yield finish();
          from = i + 1;
          startLine = line;
        }
      }
    }
    keep(buf.subarray(from));
  }
  if (size > 0 || tooLong || inQuotes) yield finish();
}

/**
 * CSV with a header row; each record is an object keyed by column name, with the line the record
 * starts on (quoted line breaks and CRLF included). Blank lines are skipped.
 */
export async function* csvRecords(source: AsyncIterable<Uint8Array>, maxRecordBytes: number = IMPORT_LIMITS.maxLineBytes): AsyncGenerator<RawRecord> {
  let header: string[] | null = null;
  for await (const r of csvRawRecords(source, maxRecordBytes)) {
    if ('error' in r) {
      yield r;
      continue;
    }
    if (r.text.trim() === '') continue;
    let fields: string[];
    try {
      fields = (parseCsvSync(r.text, { relax_column_count: true }) as string[][])[0] ?? [];
    } catch (e) {
      yield { line: r.line, error: `is not a valid CSV record (${(e as Error).message.replace(/\s+/g, ' ').replace(/ at line \d+/g, '').slice(0, 160)})` };
      continue;
    }
    if (!header) {
      header = fields.map((h) => h.trim());
      continue;
    }
    const record = Object.fromEntries(header.map((h, i) => [h, fields[i] ?? ''])) as Record<string, string>;
    const bad = hostileReason(record);
    yield bad ? { line: r.line, error: bad } : { line: r.line, value: record };
  }
}
