/**
 * Keyboard shortcuts as key sequences: `'/'`, `'?'`, `'g p'` (press g, then p within a second).
 * Pure logic; `state/shortcuts.svelte.ts` wires it to the document.
 */

const SEQUENCE_TIMEOUT_MS = 1200;

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** The key as written in a binding, or null for keys that never start a shortcut. */
export function keyName(e: KeyLike): string | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === 'Shift' || e.key === 'Control' || e.key === 'Alt' || e.key === 'Meta' || e.key === 'Dead') return null;
  if (e.key === ' ') return 'Space';
  return e.key;
}

export interface TargetLike {
  tagName?: string;
  isContentEditable?: boolean;
  type?: string;
}

const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']);

/** Typing into a field must never trigger shortcuts. */
export function isTypingTarget(t: TargetLike | null | undefined): boolean {
  if (!t) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName?.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !NON_TEXT_INPUTS.has((t.type ?? 'text').toLowerCase());
  return false;
}

export type SequenceResult<T> = { kind: 'match'; binding: T } | { kind: 'pending'; prefix: string } | { kind: 'none' };

/**
 * Feeds keys one at a time and reports a full match, a prefix that may still match, or nothing.
 * A key that breaks a sequence is retried as the start of a new one (`g x g p` matches `g p`).
 */
export class SequenceMatcher<T extends { keys: string }> {
  #buffer: string[] = [];
  #last = 0;
  readonly timeoutMs: number;

  constructor(timeoutMs = SEQUENCE_TIMEOUT_MS) {
    this.timeoutMs = timeoutMs;
  }

  get prefix(): string {
    return this.#buffer.join(' ');
  }

  reset(): void {
    this.#buffer = [];
  }

  feed(key: string, bindings: readonly T[], now = Date.now()): SequenceResult<T> {
    if (now - this.#last > this.timeoutMs) this.#buffer = [];
    this.#last = now;
    for (const candidate of [[...this.#buffer, key], [key]]) {
      const seq = candidate.join(' ');
      const exact = bindings.find((b) => b.keys === seq);
      if (exact) {
        this.#buffer = [];
        return { kind: 'match', binding: exact };
      }
      if (bindings.some((b) => b.keys.startsWith(seq + ' '))) {
        this.#buffer = candidate;
        return { kind: 'pending', prefix: seq };
      }
      if (candidate.length === 1) break;
    }
    this.#buffer = [];
    return { kind: 'none' };
  }
}
