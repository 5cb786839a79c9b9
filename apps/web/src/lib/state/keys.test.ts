import { describe, expect, it } from 'vitest';
import { SequenceMatcher, isTypingTarget, keyName } from './keys.ts';

const bindings = [{ keys: '/' }, { keys: '?' }, { keys: 'g p' }, { keys: 'g a' }, { keys: 'n' }];

describe('SequenceMatcher', () => {
  it('matches single keys', () => {
    const m = new SequenceMatcher();
    expect(m.feed('/', bindings, 0)).toEqual({ kind: 'match', binding: { keys: '/' } });
  });

  it('matches two-key sequences within the timeout', () => {
    const m = new SequenceMatcher(1000);
    expect(m.feed('g', bindings, 0)).toEqual({ kind: 'pending', prefix: 'g' });
    expect(m.feed('p', bindings, 500)).toEqual({ kind: 'match', binding: { keys: 'g p' } });
  });

  it('forgets a prefix after the timeout', () => {
    const m = new SequenceMatcher(1000);
    m.feed('g', bindings, 0);
    expect(m.feed('p', bindings, 1500)).toEqual({ kind: 'none' });
  });

  it('restarts on a key that breaks the sequence', () => {
    const m = new SequenceMatcher(1000);
    m.feed('g', bindings, 0);
    expect(m.feed('n', bindings, 10)).toEqual({ kind: 'match', binding: { keys: 'n' } });
    m.feed('g', bindings, 20);
    expect(m.feed('x', bindings, 30)).toEqual({ kind: 'none' });
    expect(m.feed('g', bindings, 40).kind).toBe('pending');
    expect(m.feed('g', bindings, 50).kind).toBe('pending');
    expect(m.feed('a', bindings, 60)).toEqual({ kind: 'match', binding: { keys: 'g a' } });
  });
});

describe('keyName', () => {
  it('ignores modifier chords and lone modifiers', () => {
    expect(keyName({ key: 'p', ctrlKey: true })).toBeNull();
    expect(keyName({ key: 'Shift' })).toBeNull();
    expect(keyName({ key: '?' })).toBe('?');
    expect(keyName({ key: 'Escape' })).toBe('Escape');
  });
});

describe('isTypingTarget', () => {
  it('is true for text fields only', () => {
    expect(isTypingTarget({ tagName: 'INPUT', type: 'search' })).toBe(true);
    expect(isTypingTarget({ tagName: 'input' })).toBe(true);
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});
