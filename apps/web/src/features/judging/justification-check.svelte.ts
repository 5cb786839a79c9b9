/**
 * Justification findings while the trainer writes. The checks that need nothing but the judgment
 * (core's `localFindings`: does the text argue for the preferred response, does it mention the
 * dimensions scored lowest, was it mostly pasted) run on every keystroke; the server's check — the
 * same ones plus "is it a near-copy of another justification in this project", and which findings
 * this project refuses — runs debounced. Shown: the server's answer while it matches what is on
 * screen, otherwise the local findings with the last near-copy answer. Counts of typed and pasted
 * characters are kept here and sent with every check and with the submit.
 */
import { localFindings, type DraftPayload, type JustificationCheck as CheckKind, type JustificationCheckResult, type JustificationFinding, type JustificationTyping, type RubricView } from '@accord/core';

export type CheckJustification = (payload: DraftPayload, typing: JustificationTyping) => Promise<JustificationCheckResult>;

export interface CheckSubject {
  /** The draft in canonical terms, as the API takes it. */
  draft(): DraftPayload;
  displayOrder: string[];
  rubric: RubricView | null;
}

const PASTED_SHARE = 0.5;

export class JustificationCheckState {
  typedChars = $state(0);
  pastedChars = $state(0);
  /** What the project refuses a submit with, as the server last said (empty until it answers). */
  block = $state<CheckKind[]>([]);
  #server = $state<{ key: string; findings: JustificationFinding[] } | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #seq = 0;
  readonly #subject: CheckSubject;
  readonly #remote: CheckJustification | undefined;

  constructor(subject: CheckSubject, remote: CheckJustification | undefined) {
    this.#subject = subject;
    this.#remote = remote;
  }

  get typing(): JustificationTyping {
    return { typedChars: this.typedChars, pastedChars: this.pastedChars };
  }

  /** Serialises what the findings depend on: a check answers for one key. */
  get key(): string {
    return JSON.stringify([this.#subject.draft(), this.typedChars, this.pastedChars]);
  }

  get local(): JustificationFinding[] {
    const d = this.#subject.draft();
    return localFindings(
      { justification: d.justification ?? '', preference: d.preference, scores: d.scores, displayOrder: this.#subject.displayOrder, rubric: this.#subject.rubric, typing: this.typing },
      { block: this.block, pastedShare: PASTED_SHARE },
    );
  }

  /** The findings to show now. */
  get findings(): JustificationFinding[] {
    const server = this.#server;
    if (server && server.key === this.key) return server.findings;
    const nearCopy = server?.findings.filter((f) => f.kind === 'nearCopy') ?? [];
    return [...this.local.filter((f) => f.kind !== 'pasted' || !server), ...nearCopy, ...(server?.findings.filter((f) => f.kind === 'pasted') ?? [])];
  }

  /** Findings this project refuses a submit with. */
  get blocking(): JustificationFinding[] {
    return this.findings.filter((f) => f.blocks);
  }

  typed(chars: number): void {
    this.typedChars += Math.max(0, chars);
  }

  pasted(chars: number): void {
    this.pastedChars += Math.max(0, chars);
  }

  /** Asks the server after `ms` of quiet; call from an effect that reads `key`. */
  schedule(ms = 1000): void {
    clearTimeout(this.#timer);
    if (!this.#remote || !(this.#subject.draft().justification ?? '').trim()) return;
    this.#timer = setTimeout(() => void this.run(), ms);
  }

  /** Checks now; a newer check's answer wins over an older one's. */
  async run(): Promise<void> {
    if (!this.#remote) return;
    clearTimeout(this.#timer);
    const key = this.key;
    const seq = ++this.#seq;
    try {
      const r = await this.#remote(this.#subject.draft(), this.typing);
      if (seq !== this.#seq) return;
      this.block = r.block;
      this.#server = { key, findings: r.findings };
    } catch {
      // Warnings only: a failed check leaves the local findings, and the submit checks again.
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
