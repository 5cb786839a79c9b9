import { describe, expect, it } from 'vitest';
import { excerpt, formatDate, formatDateTime, formatDuration, formatRelative, formatTime, initials, plural } from './format.ts';

describe('excerpt', () => {
  it('collapses whitespace and keeps short text', () => {
    expect(excerpt('  a\n\n b\tc ')).toBe('a b c');
  });
  it('cuts long text at a word boundary', () => {
    expect(excerpt('alpha beta gamma delta', 14)).toBe('alpha beta…');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it('says just now for recent times', () => {
    expect(formatRelative('2025-06-01T11:59:50Z', now)).toBe('just now');
  });
  it('uses the largest fitting unit', () => {
    expect(formatRelative('2025-05-29T12:00:00Z', now)).toMatch(/3 days ago/);
  });
  it('handles missing values', () => {
    expect(formatRelative(null, now)).toBe('—');
  });
});

describe('initials / plural', () => {
  it('works', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('', 'zed@x.org')).toBe('ZE');
    expect(plural(1, 'item')).toBe('1 item');
    expect(plural(2, 'reply', 'replies')).toBe('2 replies');
  });
});

describe('one date format', () => {
  it('shows day, short month and year, and a 24-hour time, whatever the locale', () => {
    const iso = '2025-06-01T09:05:07Z';
    const local = new Date(iso);
    const hh = String(local.getHours()).padStart(2, '0');
    const mm = String(local.getMinutes()).padStart(2, '0');
    expect(formatDate(iso)).toMatch(/^\d{1,2} [A-Z][a-z]{2} 2025$/);
    expect(formatDateTime(iso)).toMatch(new RegExp(`^\\d{1,2} [A-Z][a-z]{2} 2025, ${hh}:${mm}$`));
    expect(formatTime(iso)).toBe(`${hh}:${mm}:07`);
    expect(formatDate('not a date')).toBe('—');
  });
});

describe('formatDuration', () => {
  it('gives seconds under a minute, then minutes, then hours (a 3-second judgment never reads "1 min")', () => {
    expect(formatDuration(3_267)).toBe('3 s');
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59_400)).toBe('59 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(150_000)).toBe('3 min');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(3_900_000)).toBe('1 h 5 min');
  });
});
