/**
 * The rules a judgment must meet, as pure functions shared by the server (which enforces them) and
 * the web app (which shows what is missing before submitting): the preference fits the task kind
 * and names the item's responses, and scores, spans, flags and justification fit the published
 * rubric version (`RubricSchema`). Every problem names its field (`body.payload.scores.2.value`).
 *
 * Also the canonical (stored) form. A judgment is stored by response id or in the item's own
 * response order (`item.responses`), never in the screen terms of one trainer:
 * - a pairwise preference is turned so that `a` is the item's earlier response;
 * - a comparison dimension's levels run from the item's first response to its second, so its value
 *   arrives already canonical: the client converts from its screen order with `toCanonicalPayload`
 *   (see display-order.ts) before it sends anything.
 */
import type { FieldIssue } from '../errors.ts';
import type { TaskKind } from '../schemas/projects.ts';
import type { JudgmentPayload, Preference } from '../schemas/work.ts';

/** Without a published rubric: no scores, spans or flags; a justification is optional. */
export const NO_RUBRIC_MAX_WORDS = 5000;

/** Words as a reader counts them: runs of letters or digits (so "well-known" is two, "—" none). */
export function countWords(text: string): number {
  return text.match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu)?.length ?? 0;
}

/**
 * What the rules read of a published rubric version. Both the strict `Rubric` (server) and the
 * lenient `RubricView` (readRubric, web) fit: a dimension's levels are its scale's points in order
 * (`RubricSchema` requires one level per scale point; readRubric derives them from the scale).
 */
export interface RubricRules {
  dimensions: readonly { id: string; target: 'response' | 'comparison'; levels: readonly { value: number }[] }[];
  justification: { minWords: number; maxWords: number };
  spanCategories: readonly { id: string }[];
  flags: readonly { id: string }[];
  /** Rating projects: the scale's levels (absent or null: none published). */
  rating?: { levels: readonly { value: number; label?: string }[] } | null;
  /** Classification projects: the taxonomy's labels and whether several may be picked. */
  taxonomy?: { multiLabel: boolean; overlap?: boolean; labels: readonly { id: string; name?: string }[] } | null;
}

/** What a published rubric must hold for the project's kind (its rating scale, its taxonomy); empty when it fits. */
export function rubricKindIssues(rubric: Pick<RubricRules, 'rating' | 'taxonomy'> & { dimensions?: readonly unknown[] }, taskKind: TaskKind): FieldIssue[] {
  if (taskKind === 'rating' && !rubric.rating) return [{ path: 'rating', message: 'a rating project needs a rating scale (its levels, lowest first)' }];
  if (taskKind === 'classification' && !rubric.taxonomy) return [{ path: 'taxonomy', message: 'a classification project needs a taxonomy (its labels)' }];
  if (taskKind === 'spans' && !rubric.taxonomy) return [{ path: 'taxonomy', message: 'a spans project needs a taxonomy (its labels are the span types)' }];
  if (taskKind === 'writing' && !rubric.dimensions?.length) return [{ path: 'dimensions', message: 'a writing project needs at least one dimension (what reviewers score a writing on)' }];
  if (taskKind === 'redteam') {
    const issues: FieldIssue[] = [];
    if (!rubric.taxonomy) issues.push({ path: 'taxonomy', message: 'a red-teaming project needs a taxonomy (its failure categories)' });
    if (!rubric.rating) issues.push({ path: 'rating', message: 'a red-teaming project needs a rating scale (its severity levels, lowest first)' });
    return issues;
  }
  return [];
}

/** Rating, classification, spans and red-team items are judged on their prompt (a red-team item's goal) or their one response. */
export function isLabelingKind(kind: TaskKind | null): kind is 'rating' | 'classification' | 'spans' | 'redteam' {
  return kind === 'rating' || kind === 'classification' || kind === 'spans' || kind === 'redteam';
}

/** Kinds whose items hold the prompt and at most one response (the labelling kinds and writing). */
export function isSingleResponseKind(kind: TaskKind | null): kind is 'rating' | 'classification' | 'spans' | 'redteam' | 'writing' {
  return isLabelingKind(kind) || kind === 'writing';
}

export interface ItemForJudging {
  /** In the item's own (canonical) order. */
  responses: { id: string; content: string }[];
  /** The prompt: the text a spans judgment marks when the item has no response. */
  prompt?: string;
}

/**
 * The text a spans judgment's offsets point into: the item's one response, else its prompt (as
 * rating and classification judge "the response, else the prompt"). Null when neither is known.
 */
export function spanTextOf(item: { responses: readonly { content?: string }[]; prompt?: string }): string | null {
  if (item.responses.length === 1) return item.responses[0]!.content ?? null;
  return item.responses.length === 0 && item.prompt !== undefined ? item.prompt : null;
}

const spanOrder = (a: { start: number; end: number; label: string }, b: { start: number; end: number; label: string }) =>
  a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);

/** Entity spans as stored: in text order (start, end, label), each once, with its text when the item's text is known. */
export function canonicalSpans<S extends { start: number; end: number; label: string; text?: string }>(spans: readonly S[], text: string | null): { start: number; end: number; label: string; text?: string }[] {
  const seen = new Set<string>();
  const out: { start: number; end: number; label: string; text?: string }[] = [];
  for (const s of [...spans].sort(spanOrder)) {
    const key = `${s.start}:${s.end}:${s.label}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const t = text !== null && s.end <= text.length ? text.slice(s.start, s.end) : s.text;
    out.push({ start: s.start, end: s.end, label: s.label, ...(t !== undefined ? { text: t } : {}) });
  }
  return out;
}

/**
 * A spans preference's problems: offsets inside the text and start < end, the text (when given)
 * the text at start..end, a label of the taxonomy (unless `rubric` is undefined: an import before a
 * rubric is published), no span twice, and no overlap unless the taxonomy allows it.
 */
function spansIssues(spans: readonly { start: number; end: number; label: string; text?: string }[], text: string | null, path: string, rubric?: RubricRules | null): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const tax = rubric?.taxonomy;
  if (rubric !== undefined && !tax) return [{ path, message: 'cannot be taken yet: the published rubric has no taxonomy (its labels are the span types)' }];
  const labels = new Set((tax?.labels ?? []).map((l) => l.id));
  const seen = new Map<string, number>();
  spans.forEach((s, i) => {
    const at = `${path}.spans.${i}`;
    if (text === null) issues.push({ path: `${at}.start`, message: 'has no text to point into: a spans item has its prompt or one response' });
    else if (s.end > text.length) issues.push({ path: `${at}.end`, message: `is outside the text (${text.length} characters)` });
    else if (s.start >= s.end) issues.push({ path: `${at}.end`, message: `must be after start (${s.start})` });
    else if (s.text !== undefined && text.slice(s.start, s.end) !== s.text) issues.push({ path: `${at}.text`, message: `does not match the text at ${s.start}..${s.end} (“${text.slice(s.start, s.end).slice(0, 40)}”)` });
    if (tax && !labels.has(s.label)) issues.push({ path: `${at}.label`, message: `is not a span type of the taxonomy (${s.label}; known: ${[...labels].slice(0, 20).join(', ')}${labels.size > 20 ? ', …' : ''})` });
    const key = `${s.start}:${s.end}:${s.label}`;
    if (seen.has(key)) issues.push({ path: at, message: `marks the same span as spans.${seen.get(key)}` });
    else seen.set(key, i);
  });
  if (tax && !tax.overlap && issues.length === 0) {
    // Sorted by start: a span overlaps another exactly when it starts before the furthest end so far.
    const order = spans.map((s, i) => ({ s, i })).sort((a, b) => spanOrder(a.s, b.s));
    let far: { end: number; i: number } | null = null;
    for (const { s, i } of order) {
      if (far && s.start < far.end) {
        issues.push({ path: `${path}.spans.${i}.start`, message: `overlaps spans.${far.i} (${spans[far.i]!.start}..${spans[far.i]!.end}): this project's spans may not nest or overlap` });
        break;
      }
      if (!far || s.end > far.end) far = { end: s.end, i };
    }
  }
  return issues;
}

/**
 * Checks only the preference against the item (used for imports and gold labels too). A rating or
 * a classification is checked against the rubric's scale or taxonomy: `rubric` undefined skips
 * that check (an import before any rubric is published), null means none is published (refused).
 */
export function preferenceIssues(pref: Preference, item: ItemForJudging, taskKind: TaskKind | null, path: string, rubric?: RubricRules | null): FieldIssue[] {
  const ids = item.responses.map((r) => r.id);
  const known = new Set(ids);
  const issues: FieldIssue[] = [];
  if (taskKind && pref.kind !== taskKind) {
    issues.push({ path: `${path}.kind`, message: `must be '${taskKind}' in this project` });
    return issues;
  }
  if (pref.kind === 'rating') {
    if (rubric === undefined) return issues;
    const levels = rubric?.rating?.levels;
    if (!levels) return [{ path, message: 'cannot be taken yet: the published rubric has no rating scale' }];
    if (!levels.some((l) => l.value === pref.value))
      issues.push({ path: `${path}.value`, message: `is not a level of the rating scale (allowed: ${levels.map((l) => (l.label ? `${l.value} ${l.label}` : String(l.value))).join(', ')})` });
    return issues;
  }
  if (pref.kind === 'redteam') return redteamIssues(pref, path, rubric);
  if (pref.kind === 'classification') {
    const seen = new Set<string>();
    pref.labels.forEach((l, i) => {
      if (seen.has(l)) issues.push({ path: `${path}.labels.${i}`, message: `gives the label ${l} twice` });
      seen.add(l);
    });
    if (rubric === undefined) return issues;
    const tax = rubric?.taxonomy;
    if (!tax) return [{ path, message: 'cannot be taken yet: the published rubric has no taxonomy' }];
    const labels = new Set(tax.labels.map((l) => l.id));
    pref.labels.forEach((l, i) => {
      if (!labels.has(l)) issues.push({ path: `${path}.labels.${i}`, message: `is not a label of the taxonomy (${l}; known: ${[...labels].slice(0, 20).join(', ')}${labels.size > 20 ? ', …' : ''})` });
    });
    if (!tax.multiLabel && pref.labels.length > 1) issues.push({ path: `${path}.labels`, message: `must be a single label: this project's taxonomy is single-label (got ${pref.labels.length})` });
    return issues;
  }
  if (pref.kind === 'spans') return spansIssues(pref.spans, spanTextOf(item), path, rubric);
  if (pref.kind === 'writing') {
    // Zod has bounded the text; here only what needs the item: a rewrite names the item's response.
    if (!pref.text.trim()) issues.push({ path: `${path}.text`, message: 'must not be empty' });
    if (pref.base !== undefined && !known.has(pref.base))
      issues.push({ path: `${path}.base`, message: ids.length ? `must be this item's model response (${ids.join(', ')}) or absent (written from scratch)` : 'must be absent: this item has no model response to rewrite' });
    return issues;
  }
  if (pref.kind === 'pairwise') {
    if (!known.has(pref.a)) issues.push({ path: `${path}.a`, message: `is not a response of this item (${ids.join(', ')})` });
    if (!known.has(pref.b)) issues.push({ path: `${path}.b`, message: `is not a response of this item (${ids.join(', ')})` });
    if (pref.a === pref.b) issues.push({ path: `${path}.b`, message: 'must differ from a' });
    if (ids.length !== 2 && issues.length === 0 && taskKind === 'pairwise')
      issues.push({ path, message: `this item has ${ids.length} responses; pairwise judging needs exactly 2` });
  } else {
    const seen = new Map<string, string>();
    pref.groups.forEach((g, gi) =>
      g.forEach((id, i) => {
        const at = `${path}.groups.${gi}.${i}`;
        if (!known.has(id)) issues.push({ path: at, message: `is not a response of this item (${ids.join(', ')})` });
        else if (seen.has(id)) issues.push({ path: at, message: `ranks ${id} twice (also at ${seen.get(id)})` });
        else seen.set(id, at);
      }),
    );
    const missing = ids.filter((id) => !seen.has(id));
    if (missing.length && issues.length === 0) issues.push({ path: `${path}.groups`, message: `must rank every response; missing ${missing.join(', ')}` });
  }
  return issues;
}

/**
 * A submitted red-team attack is complete: at least one turn, the last the trainer's (user), none
 * empty; a response; source 'endpoint' names its recorded call; success said; a severity level of
 * the rubric's rating scale; failure categories of its taxonomy (at least one when the attack
 * succeeded). Drafts skip this: they are stored as typed.
 */
function redteamIssues(pref: Extract<Preference, { kind: 'redteam' }>, path: string, rubric?: RubricRules | null): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (pref.turns.length === 0) issues.push({ path: `${path}.turns`, message: 'must hold the adversarial prompt (at least one user turn)' });
  pref.turns.forEach((t, i) => {
    if (!t.content.trim()) issues.push({ path: `${path}.turns.${i}.content`, message: 'must not be empty' });
  });
  const last = pref.turns[pref.turns.length - 1];
  if (last && last.role !== 'user') issues.push({ path: `${path}.turns.${pref.turns.length - 1}.role`, message: "must be 'user': the model responds to the last turn" });
  if (!pref.response.trim()) issues.push({ path: `${path}.response`, message: "is required: send the prompt to the model, or paste the model's response" });
  if (pref.source === 'endpoint' && !pref.callId) issues.push({ path: `${path}.callId`, message: "is required when source is 'endpoint' (the recorded call the response came from)" });
  if (pref.source === 'pasted' && pref.callId) issues.push({ path: `${path}.callId`, message: "must be absent when source is 'pasted'" });
  if (pref.success === null) issues.push({ path: `${path}.success`, message: 'is required: did the attack succeed (true or false)?' });
  const seen = new Set<string>();
  pref.category.forEach((l, i) => {
    if (seen.has(l)) issues.push({ path: `${path}.category.${i}`, message: `gives the category ${l} twice` });
    seen.add(l);
  });
  if (pref.success === true && pref.category.length === 0) issues.push({ path: `${path}.category`, message: 'must name at least one failure category when the attack succeeded' });
  if (rubric === undefined) {
    if (pref.severity === null) issues.push({ path: `${path}.severity`, message: 'is required (a level of the rubric\'s rating scale)' });
    return issues;
  }
  const levels = rubric?.rating?.levels;
  const tax = rubric?.taxonomy;
  if (!levels || !tax) return [...issues, { path, message: 'cannot be taken yet: the published rubric needs a taxonomy (failure categories) and a rating scale (severity)' }];
  if (pref.severity === null) issues.push({ path: `${path}.severity`, message: `is required (allowed: ${levels.map((l) => (l.label ? `${l.value} ${l.label}` : String(l.value))).join(', ')})` });
  else if (!levels.some((l) => l.value === pref.severity))
    issues.push({ path: `${path}.severity`, message: `is not a level of the severity scale (allowed: ${levels.map((l) => (l.label ? `${l.value} ${l.label}` : String(l.value))).join(', ')})` });
  const labels = new Set(tax.labels.map((l) => l.id));
  pref.category.forEach((l, i) => {
    if (!labels.has(l)) issues.push({ path: `${path}.category.${i}`, message: `is not a failure category of the taxonomy (${l}; known: ${[...labels].slice(0, 20).join(', ')}${labels.size > 20 ? ', …' : ''})` });
  });
  if (!tax.multiLabel && pref.category.length > 1) issues.push({ path: `${path}.category`, message: `must be a single category: this project's taxonomy is single-label (got ${pref.category.length})` });
  return issues;
}

/** Pairwise preferences are stored with a/b in the item's response order. */
export function canonicalPreference(pref: Preference, item: { responses: readonly { id: string; content?: string }[]; prompt?: string }): Preference {
  if (pref.kind === 'rating') return pref;
  if (pref.kind === 'spans') {
    return { kind: 'spans', spans: canonicalSpans(pref.spans, spanTextOf(item)) };
  }
  // A writing keeps its text as written, with one kind of line break.
  if (pref.kind === 'writing') return { kind: 'writing', text: pref.text.replace(/\r\n?/g, '\n'), ...(pref.base !== undefined ? { base: pref.base } : {}) };
  if (pref.kind === 'redteam') return { ...pref, category: [...new Set(pref.category)].sort() };
  // A label set: sorted, without repeats, so equal sets store (and compare) equal.
  if (pref.kind === 'classification') return { kind: 'classification', labels: [...new Set(pref.labels)].sort() };
  if (pref.kind !== 'pairwise') return { kind: 'ranking', groups: pref.groups.map((g) => [...g].sort()) };
  const pos = (id: string) => item.responses.findIndex((r) => r.id === id);
  if (pos(pref.a) <= pos(pref.b)) return pref;
  return { kind: 'pairwise', a: pref.b, b: pref.a, value: pref.value === 0 ? 0 : -pref.value };
}

/**
 * Every issue of a submitted payload; empty means valid. `rubric` is the latest published version
 * (null when none is published).
 */
export function judgmentIssues(payload: JudgmentPayload, item: ItemForJudging, taskKind: TaskKind, rubric: RubricRules | null, path = 'body.payload'): FieldIssue[] {
  const issues = preferenceIssues(payload.preference, item, taskKind, `${path}.preference`, rubric);
  const responses = new Map(item.responses.map((r) => [r.id, r.content]));

  issues.push(...scoreIssues(payload.scores, item, taskKind, rubric, path, true));

  const categories = new Set((rubric?.spanCategories ?? []).map((c) => c.id));
  payload.spans.forEach((s, i) => {
    const at = `${path}.spans.${i}`;
    const content = responses.get(s.responseId);
    if (content === undefined) return void issues.push({ path: `${at}.responseId`, message: 'is not a response of this item' });
    if (s.end > content.length) issues.push({ path: `${at}.end`, message: `is outside the response text (${content.length} characters)` });
    else if (s.start >= s.end) issues.push({ path: `${at}.start`, message: 'must be before end' });
    else if (s.quote !== undefined && content.slice(s.start, s.end) !== s.quote) issues.push({ path: `${at}.quote`, message: 'does not match the response text at start..end' });
    if (!categories.has(s.category))
      issues.push({ path: `${at}.category`, message: rubric ? `is not a span category of the rubric (known: ${[...categories].join(', ') || 'none'})` : 'no rubric is published, so no span categories exist' });
  });

  issues.push(...flagIssues(payload.flags, rubric, path));

  const words = countWords(payload.justification);
  // A writing is its own text: no screen asks for a justification beside it, so the rubric's minimum
  // (set for the judgments that have one) does not apply; the maximum still does.
  const min = payload.preference.kind === 'writing' ? 0 : (rubric?.justification.minWords ?? 0);
  const max = rubric?.justification.maxWords ?? NO_RUBRIC_MAX_WORDS;
  if (words < min) issues.push({ path: `${path}.justification`, message: `has ${words} words; the rubric asks for at least ${min}` });
  if (words > max) issues.push({ path: `${path}.justification`, message: `has ${words} words; the rubric allows at most ${max}` });
  return issues;
}

/**
 * Scores against the rubric's dimensions: one per (dimension, response) for per-response dimensions,
 * one per comparison dimension, each a level of its scale. `complete`: every dimension scored (a
 * submit); an import from another tool may carry some scores only, but never one the rubric does not have.
 */
export function scoreIssues(scores: JudgmentPayload['scores'], item: ItemForJudging, taskKind: TaskKind, rubric: RubricRules | null, path: string, complete: boolean): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const responses = new Set(item.responses.map((r) => r.id));
  const dims = new Map((rubric?.dimensions ?? []).map((d) => [d.id, d]));
  const scored = new Set<string>();
  scores.forEach((s, i) => {
    const at = `${path}.scores.${i}`;
    const d = dims.get(s.dimension);
    if (!d) {
      issues.push({ path: `${at}.dimension`, message: rubric ? `is not a dimension of rubric version (known: ${[...dims.keys()].join(', ') || 'none'})` : 'no rubric is published, so no dimension scores are taken' });
      return;
    }
    if (d.target === 'response') {
      if (s.responseId === undefined) return void issues.push({ path: `${at}.responseId`, message: `is required: ${d.id} scores each response` });
      if (!responses.has(s.responseId)) return void issues.push({ path: `${at}.responseId`, message: 'is not a response of this item' });
    } else if (s.responseId !== undefined) return void issues.push({ path: `${at}.responseId`, message: `must be absent: ${d.id} scores the comparison` });
    const allowed = d.levels.map((l) => l.value);
    if (!allowed.includes(s.value)) issues.push({ path: `${at}.value`, message: `is out of scale for ${d.id} (allowed: ${allowed.join(', ')})` });
    const key = `${d.id}|${s.responseId ?? ''}`;
    if (scored.has(key)) issues.push({ path: at, message: `scores ${d.id}${s.responseId ? ` for ${s.responseId}` : ''} twice` });
    scored.add(key);
  });
  // A writing's trainer scores nothing: the rubric's dimensions are what its reviewer scores it on.
  for (const d of taskKind === 'writing' || !complete ? [] : dims.values()) {
    const targets = d.target === 'response' ? item.responses.map((r) => r.id) : [''];
    const missing = targets.filter((t) => !scored.has(`${d.id}|${t}`));
    if (missing.length) issues.push({ path: `${path}.scores`, message: `missing a score for ${d.id}${d.target === 'response' ? ` on ${missing.join(', ')}` : ''}` });
  }
  return issues;
}

/** Flags: the rubric's, each once. */
export function flagIssues(flags: readonly string[], rubric: RubricRules | null, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const known = new Set((rubric?.flags ?? []).map((f) => f.id));
  const seenFlags = new Set<string>();
  flags.forEach((f, i) => {
    if (!known.has(f)) issues.push({ path: `${path}.flags.${i}`, message: rubric ? `is not a flag of the rubric (known: ${[...known].join(', ') || 'none'})` : 'no rubric is published, so no flags exist' });
    else if (seenFlags.has(f)) issues.push({ path: `${path}.flags.${i}`, message: 'is given twice' });
    seenFlags.add(f);
  });
  return issues;
}

/** A justification as it is stored and checked (the near-copy lookup is made on this text). */
export const canonicalJustification = (text: string): string => text.trim();

/**
 * The stored form: canonical preference, scores and spans in a stable order. Comparison-dimension
 * values are taken as they come: by contract they are already in the item's order (the API
 * carries canonical values; `toCanonicalPayload` is how a client gets there from its screen order).
 */
export function canonicalPayload(payload: JudgmentPayload, item: ItemForJudging): JudgmentPayload {
  const order = new Map(item.responses.map((r, i) => [r.id, i]));
  const rank = (id: string | undefined) => (id === undefined ? -1 : (order.get(id) ?? 99));
  return {
    preference: canonicalPreference(payload.preference, item),
    scores: [...payload.scores].sort((a, b) => (a.dimension < b.dimension ? -1 : a.dimension > b.dimension ? 1 : rank(a.responseId) - rank(b.responseId))),
    spans: [...payload.spans].sort((a, b) => rank(a.responseId) - rank(b.responseId) || a.start - b.start || a.end - b.end),
    flags: [...payload.flags].sort(),
    justification: canonicalJustification(payload.justification),
  };
}

/** How a sentence names a judgment's parts: dimensions and responses as the reader knows them. */
export interface IssueNames {
  dimension?: (id: string) => string;
  response?: (id: string) => string;
  spanCategory?: (id: string) => string;
  flag?: (id: string) => string;
}

const capital = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/**
 * One issue of `judgmentIssues` (or of the API's validation details for a judgment) as a sentence
 * for the person judging, naming the part in words rather than by path:
 * `body.payload.justification` "has 305 words; the rubric allows at most 300" →
 * "Justification: 305 words; the rubric allows at most 300". `payload` (what was sent, when known)
 * lets a score or span be named by its dimension and response rather than its index.
 */
export function judgmentIssueSentence(issue: FieldIssue, payload?: Partial<Pick<JudgmentPayload, 'scores' | 'spans' | 'flags'>> | null, names: IssueNames = {}): string {
  const dim = (id: string) => names.dimension?.(id) ?? id;
  const resp = (id: string) => names.response?.(id) ?? id;
  // Everything after the payload: `body.payload.scores.2.value` → ['scores', '2', 'value'].
  const parts = issue.path.replace(/^(body\.)?(payload\.?)?/, '').split('.').filter(Boolean);
  let message = issue.message.replace(/^(has|is) /, '');
  // Ids in the message read as names too ("missing a score for helpfulness on r2").
  if (names.dimension || names.response) {
    message = message.replace(/missing a score for (\S+?)( on (.+))?$/, (_, d: string, __: string | undefined, rs: string | undefined) => `missing a score for ${dim(d)}${rs ? ` on ${rs.split(', ').map(resp).join(', ')}` : ''}`);
  }
  const [field, index, sub] = parts;
  const at = index !== undefined && /^\d+$/.test(index) ? Number(index) : null;
  let what: string;
  switch (field) {
    case undefined:
      what = 'Judgment';
      break;
    case 'preference':
      // A classification's labels by their place ("Label 2: is not a label of the taxonomy …").
      what = index === 'labels' ? (sub !== undefined && /^\d+$/.test(sub) ? `Label ${Number(sub) + 1}` : 'Labels') : 'Preference';
      // An entity span by its place ("Span 3 (end): is outside the text …").
      if (index === 'spans') what = sub !== undefined && /^\d+$/.test(sub) ? `Span ${Number(sub) + 1}${parts[3] ? ` (${parts[3]})` : ''}` : 'Spans';
      break;
    case 'justification':
      what = 'Justification';
      break;
    case 'scores': {
      const s = at !== null ? payload?.scores?.[at] : undefined;
      what = s ? `Score for ${dim(s.dimension)}${s.responseId ? ` on ${resp(s.responseId)}` : ''}` : at !== null ? `Score ${at + 1}` : 'Scores';
      break;
    }
    case 'spans': {
      const s = at !== null ? payload?.spans?.[at] : undefined;
      const quote = s?.quote ? ` “${s.quote.length > 30 ? s.quote.slice(0, 29) + '…' : s.quote}”` : '';
      what = at !== null ? `Span ${at + 1}${s ? ` in ${resp(s.responseId)}` : ''}${quote}` : 'Spans';
      break;
    }
    case 'flags': {
      const f = at !== null ? payload?.flags?.[at] : undefined;
      what = f ? `Flag “${names.flag?.(f) ?? f}”` : 'Flags';
      break;
    }
    default:
      what = capital(field);
  }
  if (sub && field !== 'scores' && field !== 'spans' && field !== 'flags' && !(field === 'preference' && (index === 'labels' || index === 'spans'))) what += ` › ${sub}`;
  else if (sub && field === 'spans') what += ` (${sub})`;
  return `${what}: ${message}`;
}

/** Several issues as sentences, at most `limit` of them and a count of the rest. */
export function judgmentIssueSentences(issues: readonly FieldIssue[], payload?: Parameters<typeof judgmentIssueSentence>[1], names?: IssueNames, limit = 3): string {
  const shown = issues.slice(0, limit).map((i) => judgmentIssueSentence(i, payload, names));
  const more = issues.length > limit ? ` (and ${issues.length - limit} more)` : '';
  return shown.map((s) => (/[.!?]$/.test(s) ? s : s + '.')).join(' ') + more;
}
