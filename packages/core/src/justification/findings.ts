/**
 * The justification checks that need nothing but the judgment itself, shared by the web form (which
 * warns as the trainer types) and the server (which checks again on submit and stores the result):
 * - `contradicts`: the text argues for another response than the preference (stance.ts);
 * - `missingDimensions`: the Likert dimensions scored lowest (below the middle of their scale) are
 *   not named, by their name, id or a common synonym;
 * - `pasted`: the client reports that most of what was entered was pasted.
 * `nearCopy` needs the project's other justifications and is the server's (minhash.ts); its message
 * is `NEAR_COPY_MESSAGE` and never says whose text or which.
 */
import type { JustificationCheck, JustificationChecksSettings, JustificationFinding, JustificationTyping } from '../schemas/justifications.ts';
import type { Preference } from '../schemas/work.ts';
import { justificationStance } from './stance.ts';
import { words } from './minhash.ts';

export const NEAR_COPY_MESSAGE = 'The justification is nearly identical to another justification in this project; write your own reasons.';

/** What the dimension check reads of a rubric: RubricView (web) and Rubric (server) both fit. */
export interface CheckedRubric {
  dimensions: readonly { id: string; name: string; target: 'response' | 'comparison'; levels: readonly { value: number }[] }[];
}

export interface JustificationInput {
  justification: string;
  /** In canonical terms (as sent to the API); null while not chosen. */
  preference: Preference | null | undefined;
  scores: readonly { dimension: string; responseId?: string | undefined; value: number }[] | undefined;
  /** Response ids in this trainer's display order: "A" is the first. */
  displayOrder: readonly string[];
  rubric: CheckedRubric | null;
  typing?: JustificationTyping | null | undefined;
}

const letter = (i: number) => `Response ${String.fromCharCode(65 + i)}`;

/** The responses the preference puts first (empty for a tie or when nothing is chosen). */
export function preferredIds(p: Preference | null | undefined, all: readonly string[]): string[] {
  if (!p) return [];
  if (p.kind === 'pairwise') return p.value === 0 ? [] : [p.value < 0 ? p.a : p.b];
  if (p.kind !== 'ranking') return [];
  const top = p.groups[0] ?? [];
  return top.length >= all.length ? [] : [...top];
}

export function contradiction(input: JustificationInput): { argues: number; message: string } | null {
  const order = input.displayOrder;
  const preferred = preferredIds(input.preference, order);
  if (preferred.length === 0 || !input.justification.trim()) return null;
  const { position } = justificationStance(input.justification, order.length);
  if (position === null || preferred.includes(order[position]!)) return null;
  const wanted = preferred.map((id) => order.indexOf(id)).filter((i) => i >= 0).map(letter);
  const verb = input.preference?.kind === 'ranking' ? `your ranking puts ${wanted.join(' and ')} first` : `your judgment prefers ${wanted.join(' and ')}`;
  return { argues: position, message: `The justification argues for ${letter(position)}, but ${verb}.` };
}

// ---- dimensions

const SUFFIXES = ['fulness', 'lessness', 'iveness', 'ousness', 'ness', 'ation', 'ality', 'ility', 'ity', 'acy', 'ance', 'ence', 'ment', 'ful', 'ive', 'ion', 'al', 'ty', 'y'];
/** Families of words that name the same quality; a dimension matching one member is mentioned by any. */
const FAMILIES = [
  ['help', 'useful', 'useless', 'usefulness'],
  ['accura', 'inaccura', 'correct', 'incorrect', 'factu', 'fact', 'true', 'truth', 'untrue', 'false', 'wrong', 'error', 'mistake', 'hallucinat', 'fabricat'],
  ['harm', 'safe', 'unsafe', 'danger', 'toxic', 'offensive'],
  ['honest', 'truthful', 'mislead', 'decepti'],
  ['relev', 'irrelev', 'topic', 'off-topic'],
  ['clar', 'clear', 'unclear', 'confus', 'readab', 'understandab'],
  ['concis', 'verbos', 'brief', 'brevity', 'wordy', 'length', 'lengthy', 'long', 'short', 'succinct'],
  ['complet', 'incomplet', 'missing', 'thorough', 'detail', 'comprehensive', 'coverage'],
  ['coher', 'incoher', 'logic', 'consisten', 'inconsisten', 'flow'],
  ['fluen', 'grammar', 'grammat', 'spelling', 'typo'],
  ['instruct', 'follow', 'request', 'asked'],
  ['format', 'structur', 'layout', 'markdown'],
  ['tone', 'polite', 'rude', 'style'],
  ['creativ', 'original', 'novel'],
  ['depth', 'deep', 'shallow', 'insight'],
];

function stem(word: string): string {
  for (const s of SUFFIXES) if (word.endsWith(s) && word.length - s.length >= 4) return word.slice(0, -s.length);
  return word;
}

/** Stems that mention a dimension: from its name and id, widened by their families. */
export function dimensionTerms(d: { id: string; name: string }): string[] {
  const raw = words(`${d.name} ${d.id.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ')}`).filter((w) => w.length >= 4);
  const terms = new Set(raw.map(stem));
  for (const t of [...terms]) for (const fam of FAMILIES) if (fam.some((f) => t.startsWith(f) || f.startsWith(t))) for (const f of fam) terms.add(f);
  return [...terms];
}

function mentions(text: string, terms: readonly string[]): boolean {
  const ws = words(text);
  return ws.some((w) => terms.some((t) => w.startsWith(t) || (t.length >= 5 && w.includes(t))));
}

/**
 * The Likert dimensions scored lowest: the lowest position on its scale any response got, where
 * that is below the scale's middle; ties all count. Comparison, binary and category dimensions say
 * nothing about quality by their order, so they are left out.
 */
export function lowestDimensions(input: Pick<JustificationInput, 'scores' | 'rubric'>): { id: string; name: string }[] {
  const dims = (input.rubric?.dimensions ?? []).filter((d) => d.target === 'response' && d.levels.length >= 3 && d.levels[0]?.value === 1);
  let low = Infinity;
  const at = new Map<string, number>();
  for (const d of dims) {
    const vals = (input.scores ?? []).filter((s) => s.dimension === d.id).map((s) => d.levels.findIndex((l) => l.value === s.value) / (d.levels.length - 1));
    const valid = vals.filter((v) => v >= 0);
    if (!valid.length) continue;
    const m = Math.min(...valid);
    at.set(d.id, m);
    low = Math.min(low, m);
  }
  if (!(low < 0.5)) return [];
  return dims.filter((d) => at.get(d.id) === low).map((d) => ({ id: d.id, name: d.name }));
}

export function missingDimensions(input: JustificationInput): { id: string; name: string }[] {
  return lowestDimensions(input).filter((d) => !mentions(input.justification, dimensionTerms(d)));
}

// ---- pasting

/** The share of entered characters that were pasted, or null when the client reported nothing. */
export function pastedShare(t: JustificationTyping | null | undefined): number | null {
  if (!t) return null;
  const total = t.typedChars + t.pastedChars;
  return total === 0 ? null : t.pastedChars / total;
}

/** Pastes shorter than this never count (a name, a number, a quoted phrase). */
export const MIN_PASTED_CHARS = 40;

// ---- all local findings

const sentence = (names: string[]) => (names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`);

/** Every finding that needs no other judgment, each marked as blocking or not by the project's settings. */
export function localFindings(input: JustificationInput, settings: Pick<JustificationChecksSettings, 'block' | 'pastedShare'>): JustificationFinding[] {
  const out: JustificationFinding[] = [];
  const blocks = (k: JustificationCheck) => settings.block.includes(k);
  const c = contradiction(input);
  if (c) out.push({ kind: 'contradicts', message: c.message, blocks: blocks('contradicts') });
  const missing = missingDimensions(input);
  if (missing.length) {
    const names = missing.map((d) => d.name);
    out.push({
      kind: 'missingDimensions',
      message: `The justification does not mention ${sentence(names)}, which you scored lowest.`,
      blocks: blocks('missingDimensions'),
      dimensions: missing.map((d) => d.id),
    });
  }
  const share = pastedShare(input.typing);
  if (share !== null && share >= settings.pastedShare && (input.typing?.pastedChars ?? 0) >= MIN_PASTED_CHARS)
    out.push({ kind: 'pasted', message: `Most of the justification (${Math.round(share * 100)}% of what was entered) was pasted rather than typed.`, blocks: blocks('pasted') });
  return out;
}

export function nearCopyFinding(settings: Pick<JustificationChecksSettings, 'block'>): JustificationFinding {
  return { kind: 'nearCopy', message: NEAR_COPY_MESSAGE, blocks: settings.block.includes('nearCopy') };
}
