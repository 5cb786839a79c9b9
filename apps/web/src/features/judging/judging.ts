/**
 * Pure helpers of the judging form: the pairwise scale, score cells, span offsets from a selection,
 * rankings, and the way between what the trainer sees and what the API takes. The screen works in
 * the trainer's order (A, B, …); everything sent or loaded goes through core's
 * `toCanonicalPayload` / `toDisplayPayload`, so stored judgments mean the same for every trainer.
 * The rubric reading, word counting and validation are core's (`readRubric`, `countWords`,
 * `judgmentIssues`), the same code the server runs.
 */
import {
  countWords,
  NO_RUBRIC_MAX_WORDS,
  toCanonicalPayload,
  toDisplayPayload,
  type DraftPayload,
  type EntitySpan,
  type Judgment,
  type JudgmentPayload,
  type Preference,
  type RubricDimensionView,
  type RubricView,
  type Span,
  type TaskKind,
} from '@accord/core';

/** The seven pairwise choices, keyed 1–7: value = how much better the right response (B) is. */
export const PAIRWISE_SCALE = [
  { key: '1', value: -3, label: 'A much better' },
  { key: '2', value: -2, label: 'A better' },
  { key: '3', value: -1, label: 'A slightly better' },
  { key: '4', value: 0, label: 'Tie' },
  { key: '5', value: 1, label: 'B slightly better' },
  { key: '6', value: 2, label: 'B better' },
  { key: '7', value: 3, label: 'B much better' },
] as const;

export interface ScoreCell {
  dimension: RubricDimensionView;
  /** Response id, or null for a comparison dimension. */
  responseId: string | null;
}

/** Every score the rubric asks for, in the order Tab walks through them. */
export function scoreCells(rubric: RubricView | null, responseIds: string[]): ScoreCell[] {
  return (rubric?.dimensions ?? []).flatMap((d): ScoreCell[] => (d.target === 'response' ? responseIds.map((id) => ({ dimension: d, responseId: id })) : [{ dimension: d, responseId: null }]));
}

/**
 * The key of each level of a dimension: the rubric's own level numbers when they are single digits
 * (Likert 1–5, binary 0/1, categories 0–n), else the position 1, 2, ….
 */
export function levelKeys(levels: readonly { value: number }[]): string[] {
  const own = levels.every((l) => Number.isInteger(l.value) && l.value >= 0 && l.value <= 9) && new Set(levels.map((l) => l.value)).size === levels.length;
  return levels.map((l, i) => String(own ? l.value : i + 1));
}

/** "1–5", "0–1", "1–12" for the footer and the hints. */
export function keyRange(keys: readonly string[]): string {
  return keys.length ? (keys.length === 1 ? keys[0]! : `${keys[0]}–${keys[keys.length - 1]}`) : '';
}

export const cellKey = (dimension: string, responseId: string | null) => `${dimension}|${responseId ?? ''}`;

/**
 * Offsets of a selected text in the response source. Rendering (markdown) may change the text, so
 * the selection must appear verbatim in the source; the occurrence nearest the hint wins.
 */
export function findSpan(source: string, selected: string, hint = 0): { start: number; end: number } | null {
  const text = selected.trim();
  if (!text) return null;
  let best: number | null = null;
  for (let i = source.indexOf(text); i !== -1; i = source.indexOf(text, i + 1)) {
    if (best === null || Math.abs(i - hint) < Math.abs(best - hint)) best = i;
  }
  return best === null ? null : { start: best, end: best + text.length };
}

/**
 * Where each character of the rendered text of a markdown source came from: `map[i]` is the source
 * offset of rendered character i, or -1 where none was found (text made by the renderer). Rendering
 * mostly drops syntax (`**`, `#`, link targets, escapes), so the rendered text is matched as a
 * subsequence of the source, each character within a bounded distance of the previous match;
 * whitespace matches loosely.
 */
export function alignRendered(source: string, rendered: string, window = 400): Int32Array {
  const map = new Int32Array(rendered.length).fill(-1);
  let j = 0;
  for (let i = 0; i < rendered.length; i++) {
    const c = rendered[i]!;
    if (/\s/.test(c)) {
      // Whitespace in the text maps onto the next source whitespace when it is close, else nowhere.
      const m = /\s/.exec(source.slice(j, j + 4));
      if (m) {
        map[i] = j + m.index;
        j += m.index + 1;
      }
      continue;
    }
    const k = source.indexOf(c, j);
    if (k !== -1 && k - j <= window) {
      map[i] = k;
      j = k + 1;
    }
  }
  return map;
}

/**
 * The source span of rendered characters [start, end): from the first to the last character in it
 * that has a source position (whitespace at the edges left out); null when none has.
 */
export function sourceSpan(map: Int32Array, rendered: string, start: number, end: number): { start: number; end: number } | null {
  let a = Math.max(0, start);
  let b = Math.min(rendered.length, end);
  while (a < b && /\s/.test(rendered[a]!)) a++;
  while (b > a && /\s/.test(rendered[b - 1]!)) b--;
  let first = -1;
  let last = -1;
  for (let i = a; i < b; i++) {
    const m = map[i]!;
    if (m === -1 || /\s/.test(rendered[i]!)) continue;
    if (first === -1) first = m;
    last = m;
  }
  return first === -1 || last < first ? null : { start: first, end: last + 1 };
}

/** Where a ranking drag ends: onto a group (tie with it) or into the gap before group `before` (its own rank). */
export type RankDrop = { into: number } | { before: number };

/** Moves a response to a drop target, keeping groups non-empty. */
export function placeInRanking(groups: string[][], id: string, drop: RankDrop): string[][] {
  const from = groups.findIndex((g) => g.includes(id));
  if (from === -1) return groups.map((g) => [...g]);
  // Mark the target group before removing, so indices stay meaningful.
  const tagged = groups.map((g, i) => ({ g: g.filter((x) => x !== id), i }));
  if ('into' in drop) {
    const t = tagged.find((x) => x.i === drop.into);
    if (!t) return groups.map((g) => [...g]);
    t.g.push(id);
    return tagged.filter((x) => x.g.length).map((x) => x.g);
  }
  const out: string[][] = [];
  for (const x of tagged) {
    if (x.i === drop.before) out.push([id]);
    if (x.g.length) out.push(x.g);
  }
  if (drop.before >= groups.length) out.push([id]);
  return out;
}

export interface WorkState {
  taskKind: TaskKind;
  /** Screen order of response ids. */
  order: string[];
  pairwise: number | null;
  ranking: string[][];
  /** Rating tasks: the chosen level's value. */
  rating: number | null;
  /** Classification tasks: the chosen label ids. */
  labels: string[];
  /** Spans tasks: the marked entity spans (offsets into the item's text). */
  entities: EntitySpan[];
  /** Red-team tasks: the attack as written so far (always present there, so a draft keeps every part). */
  redteam: RedteamWork | null;
  scores: Record<string, number>;
  spans: Span[];
  flags: string[];
  justification: string;
}

/** A red-team attack being written: the conversation, the model's response and its labels. */
export type RedteamWork = Extract<Preference, { kind: 'redteam' }>;

export const emptyRedteam = (): RedteamWork => ({ kind: 'redteam', turns: [{ role: 'user', content: '' }], response: '', source: 'pasted', category: [], severity: null, success: null });

function preferenceOf(s: WorkState): JudgmentPayload['preference'] | null {
  if (s.taskKind === 'redteam') return s.redteam ? { ...s.redteam, turns: s.redteam.turns.map((t) => ({ ...t })), category: [...s.redteam.category] } : null;
  if (s.taskKind === 'rating') return s.rating === null ? null : { kind: 'rating', value: s.rating };
  if (s.taskKind === 'classification') return s.labels.length ? { kind: 'classification', labels: [...s.labels] } : null;
  // No span is an answer too: the text names no entity.
  if (s.taskKind === 'spans') return { kind: 'spans', spans: s.entities.map((e) => ({ ...e })) };
  if (s.taskKind === 'pairwise') return s.pairwise === null ? null : { kind: 'pairwise', a: s.order[0]!, b: s.order[1]!, value: s.pairwise };
  return s.ranking.length ? { kind: 'ranking', groups: s.ranking.map((g) => [...g]) } : null;
}

function scoresOf(s: WorkState): JudgmentPayload['scores'] {
  return Object.entries(s.scores).map(([k, value]) => {
    const [dimension, responseId] = k.split('|') as [string, string];
    return responseId ? { dimension, responseId, value } : { dimension, value };
  });
}

function draftOf(s: WorkState): DraftPayload {
  return { preference: preferenceOf(s), scores: scoresOf(s), spans: s.spans, flags: s.flags, justification: s.justification };
}

/** Where the work is judged: the item's responses in the trainer's order and in the item's own. */
export interface JudgingOrders {
  taskKind: TaskKind;
  /** Response ids in the trainer's display order (A, B, …). */
  display: string[];
  /** Response ids in the item's own order, which stored payloads use. */
  canonical: string[];
  rubric: RubricView | null;
}

/** The draft as the API takes it (canonical terms). */
export function canonicalDraftOf(s: WorkState, o: JudgingOrders): DraftPayload {
  return toCanonicalPayload(draftOf(s), o.display, o.canonical, o.rubric);
}

/** The complete payload as the API takes it (canonical terms), or null while the preference is missing. */
export function canonicalPayloadOf(s: WorkState, o: JudgingOrders): JudgmentPayload | null {
  const preference = preferenceOf(s);
  if (!preference) return null;
  return toCanonicalPayload({ preference, scores: scoresOf(s), spans: s.spans, flags: s.flags, justification: s.justification }, o.display, o.canonical, o.rubric);
}

/** A stored (canonical) draft as the form shows it in the trainer's order; empty without a draft. */
export function workFromDraft(draft: DraftPayload | null, o: JudgingOrders): WorkState {
  const d = draft ? toDisplayPayload(draft, o.display, o.canonical, o.rubric) : null;
  const pref = d?.preference ?? null;
  return {
    taskKind: o.taskKind,
    order: o.display,
    // The screen's value is "how much better is the right-hand response (B)".
    pairwise: pref?.kind === 'pairwise' ? (pref.a === o.display[0] ? pref.value : -pref.value) : null,
    ranking: pref?.kind === 'ranking' ? pref.groups.map((g) => [...g]) : o.taskKind === 'ranking' ? o.display.map((r) => [r]) : [],
    rating: pref?.kind === 'rating' ? pref.value : null,
    labels: pref?.kind === 'classification' ? [...pref.labels] : [],
    entities: pref?.kind === 'spans' ? pref.spans.map((e) => ({ ...e })) : [],
    redteam: pref?.kind === 'redteam' ? { ...pref, turns: pref.turns.length ? pref.turns.map((t) => ({ ...t })) : [{ role: 'user', content: '' }], category: [...pref.category] } : o.taskKind === 'redteam' ? emptyRedteam() : null,
    scores: Object.fromEntries((d?.scores ?? []).map((x) => [cellKey(x.dimension, x.responseId ?? null), x.value])),
    spans: d?.spans ?? [],
    flags: d?.flags ?? [],
    justification: d?.justification ?? '',
  };
}

const letterOf = (i: number) => String.fromCharCode(65 + i);

/**
 * A submitted judgment's preference as its trainer saw it ("A better", "B slightly better",
 * "B = A > C"), read through the judgment's response order; imported judgments (no screen order)
 * name the response ids.
 */
export function preferenceLabel(j: Pick<Judgment, 'payload' | 'responseOrder'>): string {
  const p = j.payload.preference as { kind?: unknown; a?: unknown; b?: unknown; value?: unknown; groups?: unknown } | undefined;
  const order = j.responseOrder;
  const name = (id: unknown) => {
    const at = order ? order.indexOf(String(id)) : -1;
    return at === -1 ? String(id) : letterOf(at);
  };
  if (p?.kind === 'ranking' && Array.isArray(p.groups)) return (p.groups as unknown[][]).map((g) => g.map(name).join(' = ')).join(' > ');
  if (p?.kind === 'rating' && typeof p.value === 'number') return `Rating ${p.value}`;
  const labels = (p as { labels?: unknown } | undefined)?.labels;
  if (p?.kind === 'classification' && Array.isArray(labels)) return labels.map(String).join(', ');
  const spans = (p as { spans?: unknown } | undefined)?.spans;
  if (p?.kind === 'spans' && Array.isArray(spans)) return spans.length === 1 ? '1 span' : `${spans.length} spans`;
  const rt = p as { kind?: unknown; success?: unknown; severity?: unknown } | undefined;
  if (rt?.kind === 'redteam') return `${rt.success === true ? 'Attack succeeded' : rt.success === false ? 'Attack failed' : 'Attack'}${typeof rt.severity === 'number' ? ` · severity ${rt.severity}` : ''}`;
  if (p?.kind !== 'pairwise' || typeof p.value !== 'number') return '—';
  if (p.value === 0) return 'Tie';
  // value = how much better b is than a; say it from the winner's side, in screen letters.
  const winner = name(p.value < 0 ? p.a : p.b);
  const strength = ['slightly better', 'better', 'much better'][Math.min(3, Math.abs(p.value)) - 1] ?? 'better';
  return `${winner} ${strength}`;
}

/** What is still missing before submitting, in words for the trainer (empty: ready). */
export function missing(s: WorkState, rubric: RubricView | null): string[] {
  const out: string[] = [];
  const what = { pairwise: 'a preference (1–7)', ranking: 'a ranking', rating: 'a rating', classification: 'a label', spans: 'spans', writing: 'the written response', redteam: 'an attack' } as const;
  if (!preferenceOf(s)) out.push(what[s.taskKind]);
  if (s.redteam) out.push(...redteamMissing(s.redteam));
  const cells = scoreCells(rubric, s.order);
  const unscored = cells.filter((c) => s.scores[cellKey(c.dimension.id, c.responseId)] === undefined).length;
  if (unscored) out.push(`${unscored} score${unscored === 1 ? '' : 's'}`);
  const words = countWords(s.justification);
  const min = rubric?.justification.minWords ?? 0;
  const max = rubric?.justification.maxWords ?? NO_RUBRIC_MAX_WORDS;
  if (words < min) out.push(`${min - words} more word${min - words === 1 ? '' : 's'} of justification`);
  if (words > max) out.push(`a justification ${words - max} word${words - max === 1 ? '' : 's'} shorter (at most ${max})`);
  return out;
}

/** What a red-team attack still lacks, in words (the server's rules name the same parts by field). */
export function redteamMissing(r: RedteamWork): string[] {
  const out: string[] = [];
  const last = r.turns[r.turns.length - 1];
  if (!r.turns.some((t) => t.content.trim()) || !last?.content.trim()) out.push('the adversarial prompt');
  if (!r.response.trim()) out.push("the model's response");
  if (r.success === null) out.push('whether the attack succeeded');
  if (r.severity === null) out.push('a severity');
  if (r.success === true && r.category.length === 0) out.push('a failure category');
  return out;
}

/** Moves a response one group up (-1) or down (+1) in a ranking, keeping groups non-empty. */
export function moveInRanking(groups: string[][], id: string, dir: -1 | 1): string[][] {
  const g = groups.map((x) => [...x]);
  const at = g.findIndex((x) => x.includes(id));
  if (at === -1) return g;
  const alone = g[at]!.length === 1;
  g[at] = g[at]!.filter((x) => x !== id);
  const target = at + dir;
  if (alone) {
    // Swap places with the neighbouring group.
    if (target < 0 || target >= g.length) {
      g[at] = [id];
      return g;
    }
    g.splice(at, 1);
    g.splice(dir === -1 ? target : target, 0, [id]);
    return g;
  }
  // Leave a tie: become a group of its own just above or below it.
  g.splice(dir === -1 ? at : at + 1, 0, [id]);
  return g;
}

/** Ties a response with the group above it (or unties it when it is already tied). */
export function toggleTie(groups: string[][], id: string): string[][] {
  const g = groups.map((x) => [...x]);
  const at = g.findIndex((x) => x.includes(id));
  if (at === -1) return g;
  if (g[at]!.length > 1) {
    g[at] = g[at]!.filter((x) => x !== id);
    g.splice(at + 1, 0, [id]);
    return g;
  }
  if (at === 0) return g;
  g.splice(at, 1);
  g[at - 1]!.push(id);
  return g;
}

export interface TaxonomyEntry {
  id: string;
  name: string;
  description: string;
  depth: number;
}

/** The taxonomy's labels depth first, children after their parent (a label with an unknown parent is a root). */
export function taxonomyTree(rubric: RubricView | null): TaxonomyEntry[] {
  const labels = rubric?.taxonomy?.labels ?? [];
  const ids = new Set(labels.map((l) => l.id));
  const out: TaxonomyEntry[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    for (const l of labels) {
      const p = l.parent !== null && ids.has(l.parent) ? l.parent : null;
      if (p !== parent || seen.has(l.id)) continue;
      seen.add(l.id);
      out.push({ id: l.id, name: l.name, description: l.description, depth });
      walk(l.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/**
 * What the rating and classification picker reads and calls: a trainer's judging form, or an
 * adjudication room's proposal (where every choice is a write to the shared document).
 */
export interface LabelChoice {
  readonly subject: { taskKind: TaskKind };
  readonly editable: boolean;
  readonly ratingLevels: readonly { value: number; label: string; anchor: string }[];
  readonly ratingKeys: readonly string[];
  readonly rating: number | null;
  chooseRating(value: number): void;
  readonly multiLabel: boolean;
  readonly taxonomyLabels: readonly TaxonomyEntry[];
  readonly labels: readonly string[];
  toggleLabel(id: string): void;
}

/** What the judging footer's key hints depend on (a task of one kind, on one screen). */
export interface HintContext {
  taskKind: TaskKind;
  /** Responses on screen (ranking: the keys that pick one). */
  responses: number;
  /** Rating scale (and red-team severity) keys, lowest level first. */
  ratingKeys: readonly string[];
  /** Taxonomy labels: classification labels, span types, failure categories. */
  labels: number;
  multiLabel: boolean;
  /** Red teaming: the picker the number keys act on, and whether the project has a model to send to. */
  redteamPicker?: 'success' | 'severity' | 'category';
  modelAvailable?: boolean;
  /** Score cells the rubric asks for. */
  cells: number;
  /** Rubric span categories (s marks a span in a response only with one to choose). */
  spanCategories: number;
  flags: number;
  /** Whether the item has a reference answer (r shows it; red teaming shows it as a category hint). */
  reference?: boolean;
}

/**
 * The keys shown in the judging footer, as [key, what] pairs: only keys that do something on this
 * task (the real number ranges, no span marking without span categories or a response to mark, no
 * number keys without anything to pick).
 */
export function footerHints(c: HintContext): [string, string][] {
  const nth = (n: number) => keyRange(Array.from({ length: Math.min(9, n) }, (_, i) => String(i + 1)));
  const out: [string, string][] = [];
  const push = (k: string, what: string) => k && out.push([k, what]);
  if (c.taskKind === 'ranking') {
    push(nth(c.responses), 'pick');
    if (c.responses > 1) out.push(['↑ ↓', 'move'], ['=', 'tie']);
  } else if (c.taskKind === 'redteam') {
    out.push(['p', 'prompt']);
    if (c.modelAvailable) out.push(['Ctrl+Enter', 'send']);
    out.push(['a v c', 'picker']);
    const picker = c.redteamPicker ?? 'success';
    push(picker === 'success' ? '1–2' : picker === 'severity' ? keyRange(c.ratingKeys) : nth(c.labels), picker === 'success' ? 'yes / no' : picker === 'severity' ? 'severity' : 'category');
    out.push(['Enter', 'submit']);
  } else if (c.taskKind === 'rating') {
    push(keyRange(c.ratingKeys), 'rate');
    out.push(['Enter', 'submit']);
  } else if (c.taskKind === 'classification') {
    push(nth(c.labels), c.multiLabel ? 'toggle label' : 'label');
    out.push(['Enter', 'submit']);
  } else if (c.taskKind === 'spans') {
    out.push(['e', 'text'], ['← →', 'word'], ['⇧ ← →', 'extend']);
    push(nth(c.labels), 'type');
    out.push(['Del', 'remove'], ['Enter', 'submit']);
  } else if (c.taskKind === 'pairwise') out.push(['1–7', 'prefer'], ['t', 'tie']);
  if (c.cells) out.push(['Tab', 'score']);
  // s marks a span in a response's text (spans projects mark entities instead; red teaming has no response to mark).
  if (c.spanCategories > 0 && c.responses > 0 && c.taskKind !== 'spans' && c.taskKind !== 'redteam' && c.taskKind !== 'writing') out.push(['s', 'span']);
  if (c.flags) out.push(['f 1…', 'flag']);
  if (c.reference && c.taskKind !== 'redteam') out.push(['r', 'reference']);
  out.push(['j', c.taskKind === 'redteam' ? 'notes' : 'justify'], ['h', 'guidelines'], ['m', 'mine'], ['?', 'all keys']);
  return out;
}
