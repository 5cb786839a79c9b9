/**
 * The judging form as state, independent of where the work comes from: the trainer's queue today,
 * calibration rounds and the adjudication room next. It holds what the trainer has chosen in screen
 * terms (A, B, … in their order), autosaves the draft, validates with core's `judgmentIssues` (the
 * server's own rules) and submits with retries. Everything it hands to its backend is in the item's
 * canonical terms (see judging.ts); the components only read and call it.
 */
import { countWords, judgmentIssues, judgmentIssueSentence, judgmentIssueSentences, NO_RUBRIC_MAX_WORDS, type IssueNames, type DraftPayload, type FieldIssue, type Judgment, type JudgmentPayload, type JustificationTyping, type RubricView, type Span, type TaskKind, type EntitySpan, spanTextOf } from '@accord/core';
import { toasts } from '../../lib/state/toasts.svelte.ts';
import { formatTime } from '../../lib/ui/format.ts';
import { JustificationCheckState, type CheckJustification } from './justification-check.svelte.ts';
import { spanToAdd, withEntity } from './entities.ts';
import { canonicalDraftOf, canonicalPayloadOf, cellKey, taxonomyTree, type LabelChoice, type TaxonomyEntry, findSpan, keyRange, levelKeys, missing, moveInRanking, PAIRWISE_SCALE, placeInRanking, type RankDrop, type RedteamWork, scoreCells, toggleTie, workFromDraft, type JudgingOrders, type WorkState } from './judging.ts';

export interface JudgingSubject {
  taskKind: TaskKind;
  /** The responses in this trainer's display order. */
  responses: { id: string; kind: string; content: string }[];
  /** The item's prompt (a spans item without a response marks it). */
  prompt?: string;
  /** Response ids in the item's own order (what stored payloads use). */
  canonicalOrder: string[];
  rubric: RubricView | null;
  /** The saved draft, as stored (canonical terms), or null. */
  draft: DraftPayload | null;
  /** A submitted judgment shown to read (My judgments): nothing can be changed or sent. */
  readOnly?: boolean;
}

/** Where the form's work goes. Both take canonical payloads. */
export interface JudgingBackend {
  saveDraft(payload: DraftPayload): Promise<{ savedAt: string }>;
  /** Must be idempotent for one piece of work: a retried submit is stored once. `typing`: how the justification was entered. */
  submit(payload: JudgmentPayload, typing?: JustificationTyping): Promise<Judgment>;
  /** The server's justification check (near-copies, and what the project refuses); optional. */
  checkJustification?: CheckJustification;
}

export interface SpanDraft {
  responseId: string;
  start: number;
  end: number;
  quote: string;
  category: string;
  severity: 'minor' | 'major' | 'critical';
  note: string;
}


/** The taxonomy's labels depth first, children after their parent (a label with an unknown parent is a root). */
export type RedteamPickerName = 'success' | 'severity' | 'category';

/** A response no longer from a recorded call. */
const unrecorded = { source: 'pasted' as const, callId: undefined, endpointId: undefined };

/** Thrown errors carrying this code are retried on submit (the connection dropped). */
const isNetworkError = (e: unknown) => (e as { code?: string } | null)?.code === 'network_error';

/** Cues a number key that picks nothing, saying which keys do (a silent key reads as a broken one). */
function keyMiss(d: number, what: string): void {
  toasts.hint(`Key ${d} picks nothing here: ${what}.`);
}

export class JudgingForm implements LabelChoice {
  readonly subject: JudgingSubject;
  readonly orders: JudgingOrders;
  readonly #backend: JudgingBackend;

  pairwise = $state<number | null>(null);
  ranking = $state<string[][]>([]);
  rating = $state<number | null>(null);
  labels = $state<string[]>([]);
  /** Spans tasks: the marked spans, in text order. */
  entities = $state<EntitySpan[]>([]);
  /** Spans tasks: the text selected for the next span (by mouse or keyboard), or null. */
  entitySel = $state<{ start: number; end: number } | null>(null);
  /** Spans tasks: why the last attempt to add or remove a span did nothing (shown, then cleared). */
  entityMessage = $state('');
  /** Red-team tasks: the attack being written. */
  redteam = $state<RedteamWork | null>(null);
  /** Red-team tasks: the picker number keys act on. */
  redteamPicker = $state<RedteamPickerName>('success');
  scores = $state<Record<string, number>>({});
  spans = $state<Span[]>([]);
  flags = $state<string[]>([]);
  justification = $state('');
  /** The score cell that digits fill (keyboard scoring), or null. */
  activeCell = $state<number | null>(null);
  spanDraft = $state<SpanDraft | null>(null);

  status = $state<'editing' | 'submitting' | 'submitted'>('editing');
  submitted = $state<Judgment | null>(null);
  savedAt = $state<string | null>(null);
  saveError = $state(false);

  readonly order: string[];
  readonly rubric: RubricView | null;
  /** Classification tasks: the taxonomy's labels, each under its parent, with their depth. */
  readonly taxonomyLabels: TaxonomyEntry[];
  readonly cells;
  readonly work: WorkState;
  /** What is still missing, in words for the trainer (empty: complete). */
  readonly missing: string[];
  /** The complete payload in canonical terms, or null while the preference is missing. */
  readonly payload: JudgmentPayload | null;
  /** Every rule the payload breaks (the server's rules, from core); empty when ready or incomplete. */
  readonly issues: FieldIssue[];
  readonly ready: boolean;
  readonly words: number;
  readonly minWords: number;
  readonly maxWords: number;
  /** Justification findings as the trainer writes (see justification-check.svelte.ts). */
  readonly justificationCheck: JustificationCheckState;

  #lastSaved = '';
  #saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(subject: JudgingSubject, backend: JudgingBackend) {
    this.subject = subject;
    this.#backend = backend;
    this.order = subject.responses.map((r) => r.id);
    this.rubric = subject.rubric;
    this.cells = scoreCells(subject.rubric, this.order);
    this.taxonomyLabels = taxonomyTree(subject.rubric);
    this.minWords = subject.rubric?.justification.minWords ?? 0;
    this.maxWords = subject.rubric?.justification.maxWords ?? NO_RUBRIC_MAX_WORDS;
    this.orders = { taskKind: subject.taskKind, display: this.order, canonical: subject.canonicalOrder, rubric: subject.rubric };
    const w = workFromDraft(subject.draft, this.orders);
    this.pairwise = w.pairwise;
    this.ranking = w.ranking;
    this.rating = w.rating;
    this.labels = w.labels;
    this.entities = w.entities;
    this.redteam = w.redteam;
    this.scores = w.scores;
    this.spans = w.spans;
    this.flags = w.flags;
    this.justification = w.justification;
    this.#lastSaved = JSON.stringify(canonicalDraftOf(w, this.orders));

    this.work = $derived({
      taskKind: subject.taskKind,
      order: this.order,
      pairwise: this.pairwise,
      ranking: this.ranking,
      rating: this.rating,
      labels: this.labels,
      entities: this.entities,
      redteam: this.redteam,
      scores: this.scores,
      spans: this.spans,
      flags: this.flags,
      justification: this.justification,
    });
    this.missing = $derived(missing(this.work, subject.rubric));
    this.payload = $derived(canonicalPayloadOf(this.work, this.orders));
    this.issues = $derived(this.payload ? judgmentIssues(this.payload, this.#item(), subject.taskKind, subject.rubric, 'payload') : []);
    this.justificationCheck = new JustificationCheckState(
      { draft: () => canonicalDraftOf(this.work, this.orders), displayOrder: this.order, rubric: subject.rubric },
      backend.checkJustification,
    );
    this.ready = $derived(this.missing.length === 0 && this.issues.length === 0 && this.justificationCheck.blocking.length === 0);
    this.words = $derived(countWords(this.justification));
  }

  #item() {
    const content = (id: string) => this.subject.responses.find((r) => r.id === id)?.content ?? '';
    return { responses: this.subject.canonicalOrder.map((id) => ({ id, content: content(id) })), prompt: this.subject.prompt };
  }

  get editable(): boolean {
    return this.status === 'editing' && !this.subject.readOnly;
  }

  get readOnly(): boolean {
    return this.subject.readOnly === true;
  }

  /** The keys of a cell's levels (the rubric's level numbers when they are digits). */
  keysOf(cell: number): string[] {
    return levelKeys(this.cells[cell]?.dimension.levels ?? []);
  }

  /** The screen letter of a response (A, B, …). */
  labelOf = (responseId: string): string => String.fromCharCode(65 + this.order.indexOf(responseId));

  // ---- choices

  choosePairwise(value: number): void {
    if (this.editable) this.pairwise = value;
  }

  setScore(dimension: string, responseId: string | null, value: number): void {
    if (this.editable) this.scores = { ...this.scores, [cellKey(dimension, responseId)]: value };
  }

  scoreOf(dimension: string, responseId: string | null): number | undefined {
    return this.scores[cellKey(dimension, responseId)];
  }

  /** Activates a score cell (wrapping around), or leaves scoring with null. */
  setCell(i: number | null): void {
    const n = this.cells.length;
    this.activeCell = i === null || n === 0 ? null : ((i % n) + n) % n;
  }

  /** The first cell without a score (or the first cell), to start scoring at. */
  firstOpenCell(): number | null {
    if (!this.cells.length) return null;
    const open = this.cells.findIndex((c) => this.scoreOf(c.dimension.id, c.responseId) === undefined);
    return open === -1 ? 0 : open;
  }

  /** Digit key d picks the level keyed d of the active cell, then moves on to the next unscored cell. */
  pickLevel(d: number): boolean {
    if (this.activeCell === null || !this.editable) return false;
    const at = this.activeCell;
    const cell = this.cells[at]!;
    const level = cell.dimension.levels[this.keysOf(at).indexOf(String(d))];
    if (!level) {
      keyMiss(d, `${cell.dimension.name} takes ${keyRange(this.keysOf(at))}`);
      return true;
    }
    this.setScore(cell.dimension.id, cell.responseId, level.value);
    const nextOpen = this.cells.findIndex((c, i) => i > at && this.scoreOf(c.dimension.id, c.responseId) === undefined);
    this.setCell(nextOpen === -1 ? (at + 1 < this.cells.length ? at + 1 : null) : nextOpen);
    return true;
  }

  /** Digit d on the pairwise scale (1 = A much better … 7 = B much better). */
  /** Rating tasks: the scale's levels, lowest first. */
  get ratingLevels(): { value: number; label: string; anchor: string }[] {
    return this.rubric?.rating?.levels ?? [];
  }

  /** The key of each rating level: the level's own digit (1–5), else its place (1, 2, … for −2..2). */
  get ratingKeys(): string[] {
    return levelKeys(this.ratingLevels);
  }

  chooseRating(value: number): void {
    if (this.editable) this.rating = value;
  }

  pickRating(d: number): void {
    const level = this.ratingLevels[this.ratingKeys.indexOf(String(d))];
    if (level) this.chooseRating(level.value);
    else if (this.ratingLevels.length) keyMiss(d, `the rating takes ${keyRange(this.ratingKeys)}`);
  }

  /** Whether several labels may be chosen (the taxonomy's flag). */
  get multiLabel(): boolean {
    return this.rubric?.taxonomy?.multiLabel === true;
  }

  /** Picks a label; on a single-label taxonomy it replaces the choice (again: clears it). */
  toggleLabel(id: string): void {
    if (!this.editable) return;
    if (!this.multiLabel) this.labels = this.labels[0] === id ? [] : [id];
    else this.labels = this.labels.includes(id) ? this.labels.filter((x) => x !== id) : [...this.labels, id];
  }

  /**
   * A number key outside the score grid, by task kind: the red-teaming picker, the pairwise scale, a
   * rating level, a label, or the span type of the selection (which is then cleared). False: the kind
   * takes no number here (a ranking's number picks a response, which the page does).
   */
  pickKey(d: number): boolean {
    const kind = this.subject.taskKind;
    if (kind === 'redteam') this.pickRedteam(d);
    else if (kind === 'pairwise') this.pickPairwise(d);
    else if (kind === 'rating') this.pickRating(d);
    else if (kind === 'classification') this.pickLabel(d);
    else if (kind === 'spans') {
      if (this.pickEntityType(d)) this.entitySel = null;
    } else return false;
    return true;
  }

  /** Keys 1–9 toggle the labels in the order the form lists them. */
  pickLabel(d: number): void {
    const label = this.taxonomyLabels[d - 1];
    if (label) this.toggleLabel(label.id);
    else if (this.taxonomyLabels.length) keyMiss(d, `the labels take ${keyRange(this.taxonomyLabels.slice(0, 9).map((_, i) => String(i + 1)))}`);
  }

  /** Spans tasks: the text the spans point into (the one response, else the prompt); '' when unknown. */
  get entityText(): string {
    return spanTextOf({ responses: this.subject.responses, prompt: this.subject.prompt }) ?? '';
  }

  /** Spans tasks: the span types (the taxonomy's labels, in its order), keys 1–9. */
  get entityTypes(): { id: string; name: string; description: string }[] {
    return this.taxonomyLabels.map(({ id, name, description }) => ({ id, name, description }));
  }

  /** Whether spans may nest or overlap (the taxonomy's setting). */
  get entityOverlap(): boolean {
    return this.rubric?.taxonomy?.overlap === true;
  }

  /** Marks the selection with a type; false (and a message) when it cannot be. */
  addEntity(label: string, sel = this.entitySel): boolean {
    if (!this.editable) return false;
    const span = spanToAdd(this, label, sel);
    if (span) this.entities = withEntity(this.entities, span);
    return span !== null;
  }

  /** Key d (1–9) applies the d-th type to the selection. */
  pickEntityType(d: number): boolean {
    const t = this.entityTypes[d - 1];
    return t ? this.addEntity(t.id) : false;
  }

  removeEntity(i: number): void {
    if (this.editable && this.entities[i]) this.entities = this.entities.filter((_, k) => k !== i);
  }

  /** The name of a span type (its id when the taxonomy does not know it). */
  entityTypeName = (id: string): string => this.entityTypes.find((t) => t.id === id)?.name ?? id;
  // ---- red teaming: the conversation, the model's response, its labels

  #editRedteam(change: (r: RedteamWork) => RedteamWork): void {
    if (this.editable && this.redteam) this.redteam = change(this.redteam);
  }

  /**
   * Changing the conversation after the model answered makes that answer a stale one: it stays in
   * view, but counts as pasted (the server checks a response from the model against its recorded call).
   */
  setTurn(i: number, content: string): void {
    this.#editRedteam((r) => ({ ...r, turns: r.turns.map((t, k) => (k === i ? { ...t, content } : t)), ...(r.source === 'endpoint' ? unrecorded : {}) }));
  }

  /** Keeps the model's answer in the conversation and opens the next user turn (a multi-turn attack). */
  continueConversation(): void {
    this.#editRedteam((r) => ({ ...r, turns: [...r.turns, ...(r.response.trim() ? [{ role: 'assistant' as const, content: r.response }] : []), { role: 'user' as const, content: '' }], response: '', ...unrecorded }));
  }

  removeTurn(i: number): void {
    this.#editRedteam((r) => (r.turns.length <= 1 ? r : { ...r, turns: r.turns.filter((_, k) => k !== i), ...(r.source === 'endpoint' ? unrecorded : {}) }));
  }

  /** A response typed or pasted by the trainer (no endpoint, or in place of the model's). */
  setResponse(response: string): void {
    this.#editRedteam((r) => ({ ...r, response, ...unrecorded }));
  }

  /** The model's answer through the server, recorded as call `callId`. */
  recordResponse(call: { callId: string; endpointId: string; response: string }): void {
    this.#editRedteam((r) => ({ ...r, response: call.response, source: 'endpoint', callId: call.callId, endpointId: call.endpointId }));
  }

  toggleCategory(id: string): void {
    this.#editRedteam((r) => ({ ...r, category: !this.multiLabel ? (r.category[0] === id ? [] : [id]) : r.category.includes(id) ? r.category.filter((x) => x !== id) : [...r.category, id] }));
  }

  pickCategory(d: number): void {
    const label = this.taxonomyLabels[d - 1];
    if (label) this.toggleCategory(label.id);
  }

  setSeverity(value: number): void {
    this.#editRedteam((r) => ({ ...r, severity: value }));
  }

  pickSeverity(d: number): void {
    const level = this.ratingLevels[this.ratingKeys.indexOf(String(d))];
    if (level) this.setSeverity(level.value);
  }

  setSuccess(success: boolean): void {
    this.#editRedteam((r) => ({ ...r, success }));
  }

  /** A number key on the active picker: success (1 yes, 2 no) and severity move on to the next picker; categories toggle. */
  pickRedteam(d: number): void {
    if (!this.editable || !this.redteam) return;
    if (this.redteamPicker === 'success') {
      if (d !== 1 && d !== 2) return;
      this.setSuccess(d === 1);
      this.redteamPicker = 'severity';
    } else if (this.redteamPicker === 'severity') {
      const before = this.redteam.severity;
      this.pickSeverity(d);
      if (this.redteam.severity !== before || this.ratingKeys.includes(String(d))) this.redteamPicker = 'category';
    } else this.pickCategory(d);
  }

  pickPairwise(d: number): void {
    const choice = PAIRWISE_SCALE[d - 1];
    if (choice) this.choosePairwise(choice.value);
    else keyMiss(d, `the preference scale takes 1–${PAIRWISE_SCALE.length}`);
  }

  /** Drag and drop: into a group (tie) or a rank of its own. */
  place(responseId: string, drop: RankDrop): void {
    if (this.editable && this.subject.taskKind === 'ranking') this.ranking = placeInRanking(this.ranking, responseId, drop);
  }

  move(responseId: string, dir: -1 | 1): void {
    if (this.editable && this.subject.taskKind === 'ranking') this.ranking = moveInRanking(this.ranking, responseId, dir);
  }

  tie(responseId: string): void {
    if (this.editable && this.subject.taskKind === 'ranking') this.ranking = toggleTie(this.ranking, responseId);
  }

  toggleFlag(id: string): void {
    if (this.editable) this.flags = this.flags.includes(id) ? this.flags.filter((f) => f !== id) : [...this.flags, id];
  }

  /**
   * Starts a span from text selected inside a response; returns an error for the trainer, or null.
   * `at` is the selection's place in the response source (mapped back from the rendered text by
   * the caller); without it the selected text is looked up verbatim in the source.
   */
  startSpan(responseId: string, selected: string, at?: { start: number; end: number } | null): string | null {
    if (!this.editable) return 'This judgment is read-only.';
    const resp = this.subject.responses.find((r) => r.id === responseId);
    if (!selected.trim() || !resp) return 'Select some text inside a response first (click, or focus its text and use Shift+arrows), then press s.';
    const where = at ?? findSpan(resp.content, selected);
    if (!where || where.end <= where.start || where.end > resp.content.length) return 'That selection could not be found in the response text. Select within one paragraph.';
    this.spanDraft = { responseId, start: where.start, end: where.end, quote: resp.content.slice(where.start, where.end), category: this.rubric?.spanCategories[0]?.id ?? '', severity: 'minor', note: '' };
    return null;
  }

  commitSpan(): boolean {
    if (!this.spanDraft || !this.spanDraft.category || !this.editable) return false;
    this.spans = [...this.spans, { ...this.spanDraft }];
    this.spanDraft = null;
    return true;
  }

  removeSpan(index: number): void {
    if (this.editable) this.spans = this.spans.filter((_, k) => k !== index);
  }

  // ---- autosave

  /** The draft as it would be saved (canonical terms), serialised: changes when anything changes. */
  get draftKey(): string {
    return JSON.stringify(canonicalDraftOf(this.work, this.orders));
  }

  get dirty(): boolean {
    return this.draftKey !== this.#lastSaved;
  }

  /** Saves the draft after `ms` of quiet; call from an effect that reads `draftKey`. */
  scheduleSave(ms = 800): void {
    clearTimeout(this.#saveTimer);
    if (!this.editable || !this.dirty) return;
    this.#saveTimer = setTimeout(() => void this.flush(), ms);
  }

  /** Saves the draft now if it changed since the last save. */
  async flush(): Promise<void> {
    clearTimeout(this.#saveTimer);
    if (!this.editable) return;
    const text = this.draftKey;
    if (text === this.#lastSaved) return;
    try {
      const r = await this.#backend.saveDraft(JSON.parse(text) as DraftPayload);
      this.#lastSaved = text;
      this.savedAt = formatTime(r.savedAt);
      this.saveError = false;
    } catch {
      this.saveError = true;
    }
  }

  // ---- submit

  /**
   * Submits the payload once it meets every rule. A dropped connection is retried with the same
   * payload (the backend stores one judgment per piece of work); any other error is thrown back
   * and the form stays editable.
   */
  async submit(): Promise<Judgment | null> {
    const payload = this.payload;
    if (!this.editable || !payload || !this.ready) return null;
    clearTimeout(this.#saveTimer);
    this.status = 'submitting';
    for (let attempt = 0; ; attempt++) {
      try {
        const judgment = await this.#backend.submit(payload, this.justificationCheck.typing);
        this.submitted = judgment;
        this.status = 'submitted';
        return judgment;
      } catch (e) {
        if (isNetworkError(e) && attempt < 3) {
          await new Promise((res) => setTimeout(res, 500 * (attempt + 1)));
          continue;
        }
        this.status = 'editing';
        // The server may have refused findings this form did not know the project blocks: ask again.
        void this.justificationCheck.run();
        throw e;
      }
    }
  }

  /** Stops a pending autosave (the form is being left). */
  dispose(): void {
    clearTimeout(this.#saveTimer);
    this.justificationCheck.dispose();
  }
}

/** How issues name the form's parts: dimensions by name, responses by their screen letter. */
export function issueNames(form: JudgingForm): IssueNames {
  return {
    dimension: (id) => form.rubric?.dimensions.find((d) => d.id === id)?.name ?? id,
    response: (id) => (form.order.includes(id) ? `response ${form.labelOf(id)}` : id),
    flag: (id) => form.rubric?.flags.find((f) => f.id === id)?.name ?? id,
  };
}

/** A rule issue of the form (or of the server's answer) as a sentence: "Justification: 305 words; …". */
export function describeIssue(issue: FieldIssue, form?: JudgingForm): string {
  return judgmentIssueSentence(issue, form?.payload, form ? issueNames(form) : {});
}

/** The server's refusal of a submission in words, from its details when it has them. */
export function describeSubmitError(e: unknown, form: JudgingForm, fallback: string): string {
  const details = (e as { code?: string; details?: FieldIssue[] } | null)?.details;
  if ((e as { code?: string } | null)?.code !== 'validation_failed' || !details?.length) return fallback;
  return judgmentIssueSentences(details, form.payload, issueNames(form));
}
