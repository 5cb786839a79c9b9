/**
 * Other tools' formats → Accord's import item shape, before validation with core's
 * `ImportItemSchema`: CSV rows and Label Studio tasks. Pure functions; a throw names the bad cell.
 */
import type { TaskKind } from '@accord/core';
import { hostileReason } from './import-parsers.ts';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function parseJsonCell(v: string | undefined, what: string): unknown {
  if (v === undefined || v.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new Error(`${what}: is not valid JSON`);
  }
  // The same walk as a JSONL record's: a `__proto__` key would vanish when the object is copied.
  const hostile = hostileReason(parsed);
  if (hostile) throw new Error(`${what}: ${hostile}`);
  return parsed;
}

/** A pairwise gold label from a spreadsheet cell: a / b / tie (also 1 / 2 / 0), or a JSON preference. */
function goldCell(v: string | undefined, ids: string[]): unknown {
  if (v === undefined || v.trim() === '') return undefined;
  const t = v.trim().toLowerCase();
  const [a, b] = ids;
  if (a && b) {
    if (t === 'a' || t === '1' || t === 'left' || t === a) return { preference: { kind: 'pairwise', a, b, value: -2 } };
    if (t === 'b' || t === '2' || t === 'right' || t === b) return { preference: { kind: 'pairwise', a, b, value: 2 } };
    if (t === 'tie' || t === '0') return { preference: { kind: 'pairwise', a, b, value: 0 } };
  }
  const parsed = parseJsonCell(v, 'gold');
  return parsed && typeof parsed === 'object' && 'preference' in parsed ? parsed : { preference: parsed };
}

/**
 * CSV columns: external_id (or id), prompt, reference, gold, context (JSON), metadata (JSON), and
 * responses as response_<n> / model_<n> / kind_<n> (n = 1, 2, … or a, b, …). Other columns go to
 * metadata.
 */
export function csvToItem(rec: Record<string, string>): unknown {
  const responses: { id: string; model: string; kind?: string; content: string }[] = [];
  const meta: Record<string, unknown> = {};
  const known = new Set(['external_id', 'externalid', 'id', 'prompt', 'reference', 'gold', 'context', 'metadata']);
  for (const [k, v] of Object.entries(rec)) {
    const m = /^(?:response|answer|completion)_?([a-z0-9]+)$/i.exec(k);
    if (m) {
      if (v === '' || v === undefined) continue;
      const suffix = m[1]!.toLowerCase();
      responses.push({ id: /^\d+$/.test(suffix) ? `r${suffix}` : suffix, model: rec[`model_${m[1]}`] ?? rec[`model${m[1]}`] ?? '', content: v, ...(rec[`kind_${m[1]}`] ? { kind: rec[`kind_${m[1]}`] } : {}) });
    } else if (!known.has(k.toLowerCase()) && !/^(model|kind)_?[a-z0-9]+$/i.test(k) && v !== '') meta[k] = v;
  }
  const ids = responses.map((r) => r.id);
  const metadata = parseJsonCell(rec.metadata, 'metadata');
  return {
    externalId: rec.external_id ?? rec.externalId ?? rec.id,
    prompt: rec.prompt,
    context: parseJsonCell(rec.context, 'context'),
    responses,
    reference: rec.reference ? rec.reference : undefined,
    gold: goldCell(rec.gold, ids),
    metadata: { ...meta, ...(metadata && typeof metadata === 'object' ? metadata : {}) },
  };
}

/**
 * A Label Studio task `{ id, data: {...}, annotations?, predictions? }`. The prompt is data.prompt,
 * data.text, data.question, or data.instruction (+ data.input); responses are data.responses (strings
 * or { id?, model?, content|text }) or data.response_<x> / answer_<x> with model_<x>.
 */
export function labelStudioToItem(task: unknown): unknown {
  if (!task || typeof task !== 'object' || Array.isArray(task)) throw new Error('is not a Label Studio task object');
  const t = task as Record<string, unknown>;
  const data = (t.data && typeof t.data === 'object' ? t.data : t) as Record<string, unknown>;
  // A bare task (no `data`): its own Label Studio keys are not item data.
  const used = new Set<string>(data === t ? ['annotations', 'predictions', 'drafts', 'id'] : []);
  const take = (k: string) => {
    used.add(k);
    return data[k];
  };
  let prompt = str(take('prompt')) ?? str(take('text')) ?? str(take('question'));
  if (prompt === undefined) {
    const ins = str(take('instruction'));
    const input = str(take('input'));
    if (ins !== undefined) prompt = input ? `${ins}\n\n${input}` : ins;
  }
  let responses: unknown[] = [];
  const list = take('responses');
  if (Array.isArray(list)) {
    responses = list.map((r, i) =>
      typeof r === 'string' ? { id: `r${i + 1}`, model: '', content: r } : r && typeof r === 'object' ? { id: `r${i + 1}`, model: '', ...(r as object), content: (r as Record<string, unknown>).content ?? (r as Record<string, unknown>).text } : r,
    ).map((r) => {
      if (r && typeof r === 'object' && 'text' in r) {
        const { text: _text, ...rest } = r as Record<string, unknown>;
        return rest;
      }
      return r;
    });
  } else {
    for (const k of Object.keys(data)) {
      const m = /^(?:response|answer|completion|output)_?([a-z0-9]+)$/i.exec(k);
      if (!m) continue;
      const suffix = m[1]!.toLowerCase();
      used.add(k);
      const mk = Object.keys(data).find((x) => x.toLowerCase() === `model_${suffix}` || x.toLowerCase() === `model${suffix}`);
      if (mk) used.add(mk);
      responses.push({ id: /^\d+$/.test(suffix) ? `r${suffix}` : suffix, model: str(mk ? data[mk] : undefined) ?? '', content: str(data[k]) ?? data[k] });
    }
  }
  const externalId = take('externalId') ?? take('external_id') ?? t.id;
  const reference = take('reference');
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!used.has(k)) metadata[k] = v;
  if (t.id !== undefined) metadata.labelStudioId = t.id;
  return { externalId, prompt, responses, reference: reference ?? undefined, metadata };
}

/** One Label Studio annotation turned into an import judgment line (before `ImportJudgmentSchema`). */
export interface LabelStudioJudgment {
  /** The annotation's id in Label Studio (or its position in the task, from 1), for messages. */
  ref: string;
  annotator: string;
  judgment: { preference: unknown; scores: unknown[]; spans: unknown[]; flags: string[]; justification: string };
  submittedAt?: string;
  timeSpentMs?: number;
}

const TIE = new Set(['tie', 'equal', 'same', 'both', 'neither', 'draw', 'none', '0']);

/**
 * Finds the response a Label Studio name points at: the response id itself, a `response_<id>` /
 * `answer_<id>` / … tag name, `left` / `right`, or a position (A, B, … or 1, 2, …) in the item's order.
 */
export function responseRef(name: unknown, ids: readonly string[]): string | null {
  if (typeof name !== 'string' && typeof name !== 'number') return null;
  const raw = String(name).trim();
  const lower = raw.toLowerCase();
  const byId = (x: string) => ids.find((id) => id === x) ?? ids.find((id) => id.toLowerCase() === x) ?? null;
  const direct = byId(raw) ?? byId(lower);
  if (direct) return direct;
  const m = /^(?:response|answer|completion|output)[_ -]?([a-z0-9]+)$/i.exec(lower);
  if (m) {
    const s = m[1]!;
    const hit = byId(s) ?? byId(`r${s}`);
    if (hit) return hit;
    return positional(s, ids);
  }
  if (lower === 'left') return ids[0] ?? null;
  if (lower === 'right') return ids.length === 2 ? ids[1]! : null;
  return positional(lower, ids);
}

function positional(s: string, ids: readonly string[]): string | null {
  if (/^[a-z]$/.test(s)) return ids[s.charCodeAt(0) - 97] ?? null;
  if (/^\d+$/.test(s)) return ids[Number(s) - 1] ?? null;
  return null;
}

/** What Label Studio results are read against in rating and classification projects (the published rubric). */
export interface LabelingRubric {
  rating?: { levels: readonly { value: number }[] } | null;
  taxonomy?: { labels: readonly { id: string; name?: string }[] } | null;
}

/** A choice as a taxonomy label id: the id, else the name (any case); unknown text stays as it is (refused later, named). */
function labelRef(choice: string, rubric: LabelingRubric | undefined): string {
  const c = choice.trim();
  const labels = rubric?.taxonomy?.labels ?? [];
  const lower = c.toLowerCase();
  return (labels.find((l) => l.id === c) ?? labels.find((l) => l.name?.toLowerCase() === lower) ?? labels.find((l) => l.id.toLowerCase() === lower))?.id ?? c;
}

/** A Label Studio rating as a level of the scale: its value, else the n-th level from the lowest. */
function ratingRef(n: number, rubric: LabelingRubric | undefined): number {
  const levels = rubric?.rating?.levels ?? [];
  if (levels.some((l) => l.value === n) || !Number.isInteger(n)) return n;
  return levels[n - 1]?.value ?? n;
}

/** "this response is best" as a preference of the project's kind. */
function bestOf(best: string | null, ids: readonly string[], taskKind: TaskKind): unknown {
  if (taskKind === 'pairwise') return { kind: 'pairwise', a: ids[0], b: ids[1], value: best === null ? 0 : best === ids[0] ? -2 : 2 };
  return { kind: 'ranking', groups: best === null ? [[...ids]] : [[best], ids.filter((x) => x !== best)].filter((g) => g.length) };
}

/**
 * The annotations of a Label Studio task as import judgments, or one reason per annotation that
 * cannot be mapped. Mapping (documented in the README and the import route):
 * - `pairwise` (`selected: left|right`) → the pairwise preference, left being the item's first response;
 * - `ranker` with one list of response ids (best first) → the preference (pairwise: first beats second;
 *   ranking: one response per group);
 * - `choices` naming a response (its id, `response_<x>`, A/B, 1/2, left/right) or a tie → the preference;
 *   other choices → flags (the choice text);
 * - `rating` → a score named by `from_name`, on the response `to_name` points at (else on the comparison);
 * - `textarea` → the justification (several are joined by blank lines);
 * - `completed_by` → the annotator (its email when exported, else `label-studio-<id>`); `lead_time`
 *   (seconds) → time spent; `created_at` → submitted at.
 * In a classification project `choices` are the labels instead (a taxonomy label's id or name), in
 * a rating project `rating` is the rating (a level's value, else the n-th level from the lowest: Label
 * Studio's stars run 1..n). In a spans project each `labels` result (`value.start`, `value.end`,
 * `value.text`, `value.labels`) is a span per label (a taxonomy label's id or name); an annotation
 * with no `labels` result marks no span. In a writing project `textarea` is the written response (a
 * rewrite of the item's response when it has one).
 * An annotation that was cancelled, has no preference, or holds any other result type is reported.
 */
export function labelStudioAnnotations(task: unknown, ids: readonly string[], taskKind: TaskKind, rubric?: LabelingRubric): { judgments: LabelStudioJudgment[]; problems: string[] } {
  const judgments: LabelStudioJudgment[] = [];
  const problems: string[] = [];
  if (!task || typeof task !== 'object') return { judgments, problems };
  const list = (task as Record<string, unknown>).annotations;
  if (list === undefined || list === null) return { judgments, problems };
  if (!Array.isArray(list)) return { judgments, problems: ['annotations: is not a list, so none was imported'] };
  list.forEach((raw, index) => {
    const a = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const ref = str(a.id) ?? String(index + 1);
    const fail = (why: string) => problems.push(`annotation ${ref} (annotations.${index}): ${why}; not imported`);
    if (!raw || typeof raw !== 'object') return fail('is not an object');
    if (a.was_cancelled === true) return fail('was cancelled (skipped) in Label Studio');
    const by = a.completed_by;
    const annotator =
      by && typeof by === 'object'
        ? (str((by as Record<string, unknown>).email) ?? (str((by as Record<string, unknown>).id) !== undefined ? `label-studio-${str((by as Record<string, unknown>).id)}` : undefined))
        : str(by) !== undefined
          ? `label-studio-${str(by)}`
          : undefined;
    if (!annotator) return fail('has no completed_by annotator');
    if (!Array.isArray(a.result)) return fail('has no result list');
    let preference: unknown = null;
    const scores: unknown[] = [];
    const flags: string[] = [];
    const notes: string[] = [];
    const written: string[] = [];
    const errors: string[] = [];
    const entities: { start: number; end: number; label: string; text?: string }[] = [];
    const setPreference = (p: unknown, i: number) => {
      if (preference !== null) errors.push(`result.${i}: a second preference (the first one already decides)`);
      else preference = p;
    };
    a.result.forEach((r0: unknown, i) => {
      const r = (r0 && typeof r0 === 'object' ? r0 : {}) as Record<string, unknown>;
      const v = (r.value && typeof r.value === 'object' ? r.value : {}) as Record<string, unknown>;
      const type = str(r.type) ?? '(none)';
      if (type === 'pairwise') {
        const sel = str(v.selected)?.toLowerCase();
        if (ids.length !== 2 || (sel !== 'left' && sel !== 'right')) errors.push(`result.${i}: pairwise selection ${JSON.stringify(v.selected ?? null)} is not left or right of two responses`);
        else setPreference(bestOf(sel === 'left' ? ids[0]! : ids[1]!, ids, taskKind), i);
      } else if (type === 'ranker') {
        const buckets = v.ranker && typeof v.ranker === 'object' ? Object.values(v.ranker as Record<string, unknown>).filter((x) => Array.isArray(x) && x.length) : [];
        const order = buckets.length === 1 ? (buckets[0] as unknown[]).map((x) => responseRef(x, ids)) : [];
        if (!order.length || order.some((x) => x === null) || new Set(order).size !== order.length) errors.push(`result.${i}: ranker value is not one list of this item's response ids`);
        else if (taskKind === 'pairwise') {
          if (order.length !== 2) errors.push(`result.${i}: ranker ranks ${order.length} responses, a pairwise item has 2`);
          else setPreference({ kind: 'pairwise', a: order[0], b: order[1], value: -2 }, i);
        } else setPreference({ kind: 'ranking', groups: order.map((x) => [x]) }, i);
      } else if (type === 'choices' && taskKind === 'classification') {
        const choices = Array.isArray(v.choices) ? v.choices.map((x) => str(x)).filter((x): x is string => x !== undefined && x.trim() !== '') : [];
        if (!choices.length) errors.push(`result.${i}: choices has no choice`);
        else setPreference({ kind: 'classification', labels: choices.map((ch) => labelRef(ch, rubric)) }, i);
      } else if ((type === 'labels' || type === 'hypertextlabels') && taskKind === 'spans') {
        const labels = Array.isArray(v.labels) ? v.labels.map((x) => str(x)).filter((x): x is string => x !== undefined && x.trim() !== '') : [];
        const { start, end } = v;
        if (typeof start !== 'number' || typeof end !== 'number' || !Number.isInteger(start) || !Number.isInteger(end)) errors.push(`result.${i}: labels needs whole-number value.start and value.end (character offsets)`);
        else if (!labels.length) errors.push(`result.${i}: labels has no label`);
        else for (const l of labels) entities.push({ start, end, label: labelRef(l, rubric), ...(str(v.text) !== undefined ? { text: str(v.text)! } : {}) });
      } else if (type === 'rating' && taskKind === 'rating') {
        const n = typeof v.rating === 'number' && Number.isFinite(v.rating) ? v.rating : null;
        if (n === null) errors.push(`result.${i}: rating needs a number`);
        else setPreference({ kind: 'rating', value: ratingRef(n, rubric) }, i);
      } else if (type === 'choices' && taskKind === 'writing') {
        // A writing project compares nothing: its choices are flags.
        const choices = Array.isArray(v.choices) ? v.choices.map((x) => str(x)?.trim()).filter((x): x is string => !!x && x.length <= 100) : [];
        flags.push(...choices);
      } else if (type === 'choices') {
        const choices = Array.isArray(v.choices) ? v.choices.map((x) => str(x)).filter((x): x is string => x !== undefined) : [];
        if (!choices.length) errors.push(`result.${i}: choices has no choice`);
        for (const ch of choices) {
          const hit = responseRef(ch, ids);
          if (hit) setPreference(bestOf(hit, ids, taskKind), i);
          else if (TIE.has(ch.trim().toLowerCase())) setPreference(bestOf(null, ids, taskKind), i);
          else if (ch.trim() && ch.trim().length <= 100) flags.push(ch.trim());
          else errors.push(`result.${i}: choice ${JSON.stringify(ch.slice(0, 40))} is neither a response nor a flag of at most 100 characters`);
        }
      } else if (type === 'rating') {
        const n = typeof v.rating === 'number' && Number.isFinite(v.rating) ? v.rating : null;
        const dim = str(r.from_name);
        if (n === null || !dim) errors.push(`result.${i}: rating needs a number and a from_name`);
        else {
          const rid = responseRef(r.to_name, ids);
          scores.push(rid ? { dimension: dim, responseId: rid, value: n } : { dimension: dim, value: n });
        }
      } else if (type === 'textarea' && taskKind === 'writing') {
        // A writing project's TextArea is the written response (several are joined by blank lines).
        const t = Array.isArray(v.text) ? v.text.map((x) => str(x) ?? '').join('\n') : (str(v.text) ?? '');
        if (t.trim()) written.push(t);
      } else if (type === 'textarea') {
        const t = Array.isArray(v.text) ? v.text.map((x) => str(x) ?? '').join('\n') : (str(v.text) ?? '');
        if (t.trim()) notes.push(t.trim());
      } else errors.push(`result.${i}: the result type ${type} has no place in an Accord judgment`);
    });
    if (taskKind === 'spans' && preference === null) preference = { kind: 'spans', spans: entities };
    // A writing rewrites the item's model response when it has one (Label Studio's SFT templates show it to edit).
    if (taskKind === 'writing' && written.length && preference === null) preference = { kind: 'writing', text: written.join('\n\n'), ...(ids[0] ? { base: ids[0] } : {}) };
    if (!errors.length && preference === null)
      errors.push(
        taskKind === 'writing' ? 'has no written response (a textarea result)' : taskKind === 'rating' ? 'has no rating (a rating result)' : taskKind === 'classification' ? 'has no label (a choices result)' : 'has no preference (a pairwise, ranker or choices result naming a response)',
      );
    if (errors.length) return fail(errors.join('; '));
    const created = str(a.created_at);
    const at = created && !Number.isNaN(Date.parse(created)) ? new Date(created).toISOString() : undefined;
    const lead = typeof a.lead_time === 'number' && Number.isFinite(a.lead_time) && a.lead_time >= 0 ? Math.round(a.lead_time * 1000) : undefined;
    judgments.push({
      ref,
      annotator,
      judgment: { preference, scores, spans: [], flags: [...new Set(flags)], justification: notes.join('\n\n') },
      ...(at ? { submittedAt: at } : {}),
      ...(lead !== undefined ? { timeSpentMs: lead } : {}),
    });
  });
  return { judgments, problems };
}
