/**
 * The proposed consensus of an adjudication room as the judging form's controls see it: the same
 * members the preference picker, ranking editor, score grid and span form read and call, backed by
 * the live document (collab's shapes/dispute.ts) instead of a trainer's draft. Every change is a
 * write to the shared document, so everyone in the room sees it at once; nothing is kept locally but
 * the active score cell and the span being marked.
 *
 * The room works in the item's canonical response order (A = its first response): proposals and
 * labels are stored in that order, so no translation is needed.
 */
import {
  addProposalEntity,
  addProposalSpan,
  readDispute,
  removeProposalEntity,
  removeProposalSpan,
  setProposalPreference,
  setProposalScore,
  writeDisputeProposal,
  type DisputeRoom,
  type ProposalSpan,
} from '@accord/collab';
import { spanTextOf, type ConsensusPayload, type EntitySpan, type Preference, type RubricView, type Span, type TaskKind } from '@accord/core';

type Score = ConsensusPayload['scores'][number];
import type { LiveDoc } from '../../lib/realtime/live-doc.svelte.ts';
import { cellKey, findSpan, levelKeys, moveInRanking, PAIRWISE_SCALE, placeInRanking, scoreCells, taxonomyTree, toggleTie, type LabelChoice, type RankDrop, type ScoreCell, type TaxonomyEntry } from '../judging/judging.ts';
import type { SpanDraft } from '../judging/judging-form.svelte.ts';
import { spanToAdd, type EntityForm } from '../judging/entities.ts';
import { letterAt, pairwiseScreenValue } from './disputes.ts';

export class ProposalForm implements LabelChoice, EntityForm {
  readonly live: LiveDoc;
  readonly taskKind: TaskKind;
  /** Response ids in the item's canonical order (A, B, …). */
  readonly order: string[];
  readonly responses: { id: string; content: string }[];
  readonly prompt: string;
  readonly rubric: RubricView | null;
  readonly cells: ScoreCell[];
  readonly taxonomyLabels: TaxonomyEntry[];
  readonly #allowed: () => boolean;

  /**
   * No active score cell in the room: the score grid opens the active cell's anchors on focus, and
   * with several people clicking levels the grid must not move under the pointer (a focus on
   * mousedown that opens anchors above the target shifts it before mouseup, and the click is lost).
   * The anchors stay in each level button's title.
   */
  get activeCell(): number | null {
    return null;
  }
  set activeCell(_cell: number | null) {
    // ignored, see above
  }
  spanDraft = $state<SpanDraft | null>(null);

  /** The room as it is now (re-read on every change of the document). */
  readonly room: DisputeRoom;

  constructor(live: LiveDoc, subject: { taskKind: TaskKind; responses: { id: string; content: string }[]; prompt: string; rubric: RubricView | null }, allowed: () => boolean) {
    this.live = live;
    this.taskKind = subject.taskKind;
    this.responses = subject.responses;
    this.prompt = subject.prompt;
    this.order = subject.responses.map((r) => r.id);
    this.rubric = subject.rubric;
    this.cells = scoreCells(subject.rubric, this.order);
    this.taxonomyLabels = taxonomyTree(subject.rubric);
    this.#allowed = allowed;
    this.room = $derived.by(() => {
      void this.live.version;
      return readDispute(this.live.doc);
    });
  }

  /** Writable: the server grants write access to this room (it does not once the room is frozen) and the dispute is open. */
  get editable(): boolean {
    return this.live.canWrite && this.#allowed();
  }

  get preference(): Preference | null {
    return this.room.proposal.preference;
  }

  labelOf = (responseId: string): string => letterAt(this.order.indexOf(responseId));

  // ---- the preference

  get pairwise(): number | null {
    return pairwiseScreenValue(this.preference, this.order);
  }

  choosePairwise(value: number): void {
    if (!this.editable || this.order.length < 2) return;
    setProposalPreference(this.live.doc, { kind: 'pairwise', a: this.order[0]!, b: this.order[1]!, value });
  }

  pickPairwise(d: number): void {
    const c = PAIRWISE_SCALE[d - 1];
    if (c) this.choosePairwise(c.value);
  }

  /** The proposed ranking, or the item's order while none is proposed. */
  get ranking(): string[][] {
    const p = this.preference;
    return p?.kind === 'ranking' ? p.groups.map((g) => [...g]) : this.order.map((id) => [id]);
  }

  #setRanking(groups: string[][]): void {
    if (this.editable && this.taskKind === 'ranking') setProposalPreference(this.live.doc, { kind: 'ranking', groups });
  }

  /** Proposes the ranking as shown (the item's order while none is proposed). */
  acceptRanking(): void {
    this.#setRanking(this.ranking);
  }

  place(responseId: string, drop: RankDrop): void {
    this.#setRanking(placeInRanking(this.ranking, responseId, drop));
  }

  move(responseId: string, dir: -1 | 1): void {
    this.#setRanking(moveInRanking(this.ranking, responseId, dir));
  }

  tie(responseId: string): void {
    this.#setRanking(toggleTie(this.ranking, responseId));
  }

  // ---- a rating (a level of the rubric's scale) or a classification (labels of its taxonomy)

  get subject(): { taskKind: TaskKind } {
    return { taskKind: this.taskKind };
  }

  get ratingLevels(): { value: number; label: string; anchor: string }[] {
    return this.rubric?.rating?.levels ?? [];
  }

  get ratingKeys(): string[] {
    return levelKeys(this.ratingLevels);
  }

  get rating(): number | null {
    const p = this.preference;
    return p?.kind === 'rating' ? p.value : null;
  }

  chooseRating(value: number): void {
    if (this.editable && this.taskKind === 'rating') setProposalPreference(this.live.doc, { kind: 'rating', value });
  }

  /** Key d: the level with that key (its own digit, else its place from the lowest). */
  pickRating(d: number): void {
    const level = this.ratingLevels[this.ratingKeys.indexOf(String(d))];
    if (level) this.chooseRating(level.value);
  }

  get multiLabel(): boolean {
    return this.rubric?.taxonomy?.multiLabel === true;
  }

  get labels(): string[] {
    const p = this.preference;
    return p?.kind === 'classification' ? [...p.labels] : [];
  }

  /** Picks a label (single-label: replaces the choice); the set is stored sorted, as judgments store it; none left clears the proposal. */
  toggleLabel(id: string): void {
    if (!this.editable || this.taskKind !== 'classification') return;
    const now = this.labels;
    const next = !this.multiLabel ? (now.length === 1 && now[0] === id ? [] : [id]) : now.includes(id) ? now.filter((x) => x !== id) : [...now, id];
    setProposalPreference(this.live.doc, next.length ? { kind: 'classification', labels: next.filter((x, i) => next.indexOf(x) === i).sort() } : null);
  }

  pickLabel(d: number): void {
    const label = this.taxonomyLabels[d - 1];
    if (label) this.toggleLabel(label.id);
  }

  // ---- entity spans (spans projects): marked on the item's text, each span an element of the room

  /** The text selected for the next span, and why the last mark did nothing: this screen's only. */
  entitySel = $state<{ start: number; end: number } | null>(null);
  entityMessage = $state('');

  get entityText(): string {
    return spanTextOf({ responses: this.responses, prompt: this.prompt }) ?? '';
  }

  get entities(): EntitySpan[] {
    const p = this.preference;
    return p?.kind === 'spans' ? p.spans : [];
  }

  get entityTypes(): { id: string; name: string; description: string }[] {
    return this.taxonomyLabels.map(({ id, name, description }) => ({ id, name, description }));
  }

  get entityOverlap(): boolean {
    return this.rubric?.taxonomy?.overlap === true;
  }

  /** Adds the selection as a span of this type to the proposal; false (and a message) when it cannot be. */
  addEntity(label: string): boolean {
    if (!this.editable || this.taskKind !== 'spans') return false;
    const span = spanToAdd(this, label);
    if (span) addProposalEntity(this.live.doc, span);
    return span !== null;
  }

  pickEntityType(d: number): boolean {
    const t = this.entityTypes[d - 1];
    return t ? this.addEntity(t.id) : false;
  }

  removeEntity(i: number): void {
    const s = this.entities[i];
    if (this.editable && s) removeProposalEntity(this.live.doc, s);
  }

  entityTypeName = (id: string): string => this.entityTypes.find((t) => t.id === id)?.name ?? id;

  // ---- scores

  #scores: Record<string, number> = $derived.by(() => Object.fromEntries(this.room.proposal.scores.map((s: Score) => [cellKey(s.dimension, s.responseId ?? null), s.value])));

  scoreOf(dimension: string, responseId: string | null): number | undefined {
    return this.#scores[cellKey(dimension, responseId)];
  }

  setScore(dimension: string, responseId: string | null, value: number): void {
    if (this.editable) setProposalScore(this.live.doc, dimension, responseId ?? undefined, value);
  }

  keysOf(cell: number): string[] {
    return levelKeys(this.cells[cell]?.dimension.levels ?? []);
  }

  /** How many score cells the rubric asks for are still empty. */
  get unscored(): number {
    return this.cells.filter((c) => this.scoreOf(c.dimension.id, c.responseId) === undefined).length;
  }

  // ---- spans

  get spans(): ProposalSpan[] {
    return this.room.spans;
  }

  /** Starts a span from text selected in a response (`at`: its place in the source, when known). */
  startSpan(responseId: string, selected: string, at?: { start: number; end: number } | null): string | null {
    if (!this.editable) return 'The proposal is read-only.';
    const resp = this.responses.find((r) => r.id === responseId);
    if (!selected.trim() || !resp) return 'Select some text inside a response first (or focus its text and use Shift+arrows), then press s.';
    const where = at ?? findSpan(resp.content, selected);
    if (!where || where.end <= where.start || where.end > resp.content.length) return 'That selection could not be found in the response text. Select within one paragraph.';
    this.spanDraft = { responseId, start: where.start, end: where.end, quote: resp.content.slice(where.start, where.end), category: this.rubric?.spanCategories[0]?.id ?? '', severity: 'minor', note: '' };
    return null;
  }

  commitSpan(): boolean {
    const d = this.spanDraft;
    if (!d || !d.category || !this.editable) return false;
    const span: Span = { responseId: d.responseId, start: d.start, end: d.end, quote: d.quote, category: d.category, severity: d.severity, note: d.note };
    addProposalSpan(this.live.doc, span);
    this.spanDraft = null;
    return true;
  }

  removeSpan(id: string): void {
    if (this.editable) removeProposalSpan(this.live.doc, id);
  }

  // ---- whole proposals

  /** Replaces the proposal with a judgment's (canonical) preference, scores and spans. */
  startFrom(p: { preference: Preference; scores: Score[]; spans: Span[] }): void {
    if (this.editable) writeDisputeProposal(this.live.doc, { preference: structuredClone(p.preference), scores: p.scores.map((s) => ({ ...s })), spans: p.spans.map((s) => ({ ...s })) });
  }
}
