/**
 * The state of one written demonstration being written or revised: the text, whether it rewrites the
 * item's model response (`base`) or starts from scratch, its word count and the live word diff
 * against the base (core's `wordDiff`, the same function the server stores diffs with), and the
 * problems the server would refuse it for (empty, too long).
 */
import { countWords, WRITING_MAX_CHARS, wordDiff, type WordDiff } from '@accord/core';

export type WritingMode = 'rewrite' | 'scratch';

export class WritingEditor {
  text = $state('');
  mode = $state<WritingMode>('scratch');
  /** The item's model response (null: the item has none, so only scratch). */
  readonly response: { id: string; content: string } | null;

  constructor(response: { id: string; content: string } | null, start?: { text: string; base?: string | null }) {
    this.response = response;
    if (start) {
      this.text = start.text;
      this.mode = start.base && response && start.base === response.id ? 'rewrite' : 'scratch';
    } else if (response) this.startFromResponse();
  }

  /** "Start from the model response": the editor holds its text, to be rewritten. */
  startFromResponse() {
    if (!this.response) return;
    this.mode = 'rewrite';
    this.text = this.response.content;
  }

  /** "Write from scratch": an empty editor (a rewrite in progress is given up). */
  writeFromScratch() {
    this.mode = 'scratch';
    this.text = '';
  }

  get base(): string | undefined {
    return this.mode === 'rewrite' && this.response ? this.response.id : undefined;
  }

  get words(): number {
    return countWords(this.text);
  }
  get chars(): number {
    return this.text.length;
  }

  /** The live diff against the response being rewritten (null from scratch). */
  get diff(): WordDiff | null {
    return this.mode === 'rewrite' && this.response ? wordDiff(this.response.content, this.text) : null;
  }

  /** Why it cannot be submitted yet, in words (empty: it can). */
  get problems(): string[] {
    const out: string[] = [];
    if (!this.text.trim()) out.push('Write the response first.');
    if (this.text.length > WRITING_MAX_CHARS) out.push(`At most ${WRITING_MAX_CHARS.toLocaleString()} characters (${this.text.length.toLocaleString()} now).`);
    return out;
  }

  get ready(): boolean {
    return this.problems.length === 0;
  }

  /** The judgment's preference as the server takes it. */
  preference(): { kind: 'writing'; text: string; base?: string } {
    const base = this.base;
    return base ? { kind: 'writing', text: this.text, base } : { kind: 'writing', text: this.text };
  }
}
