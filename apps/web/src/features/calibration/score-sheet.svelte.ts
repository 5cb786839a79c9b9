/**
 * Scoring a shown writing on each of the rubric's dimensions, keyboard first: one dimension is
 * active; a number key picks its level (the level's own digit, else its place, as in the judging
 * form's score grid) and moves on to the next dimension without a score; ↑ ↓ move between them.
 */
import type { RubricView } from '@accord/core';
import { levelKeys } from '../judging/judging.ts';

type Dimension = RubricView['dimensions'][number];

export class ScoreSheet {
  readonly dims: readonly Dimension[];
  scores = $state<Record<string, number>>({});
  active = $state(0);

  constructor(dims: readonly Dimension[], start: readonly { dimension: string; value: number }[] = []) {
    this.dims = dims;
    this.scores = Object.fromEntries(start.filter((x) => dims.some((d) => d.id === x.dimension)).map((x) => [x.dimension, x.value]));
    const open = dims.findIndex((d) => this.scores[d.id] === undefined);
    this.active = open === -1 ? 0 : open;
  }

  keysOf(dim: Dimension): string[] {
    return levelKeys(dim.levels);
  }

  set(dimension: string, value: number): void {
    this.scores = { ...this.scores, [dimension]: value };
  }

  /** Digit d: the active dimension's level keyed d, then the next dimension still without a score. */
  pick(d: number): void {
    const dim = this.dims[this.active];
    if (!dim) return;
    const level = dim.levels[this.keysOf(dim).indexOf(String(d))];
    if (!level) return;
    this.set(dim.id, level.value);
    const at = this.active;
    const next = this.dims.findIndex((x, i) => i > at && this.scores[x.id] === undefined);
    if (next !== -1) this.active = next;
    else if (at + 1 < this.dims.length) this.active = at + 1;
  }

  move(delta: number): void {
    const n = this.dims.length;
    if (n) this.active = (((this.active + delta) % n) + n) % n;
  }

  /** The dimensions still without a score, by name. */
  get missing(): string[] {
    return this.dims.filter((d) => this.scores[d.id] === undefined).map((d) => d.name);
  }

  get ready(): boolean {
    return this.dims.length > 0 && this.missing.length === 0;
  }

  /** The scores as a payload carries them, in the rubric's order. */
  get list(): { dimension: string; value: number }[] {
    return this.dims.filter((d) => this.scores[d.id] !== undefined).map((d) => ({ dimension: d.id, value: this.scores[d.id]! }));
  }
}
