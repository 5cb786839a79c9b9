/**
 * Which response a justification argues for, read the way the trainer wrote it: references are to
 * what was on *their* screen — "Response A", "B", "Output (2)", "the first one", "the latter",
 * "the left one" — so a letter or a position means `displayOrder[i]`, never the item's own order.
 *
 * The reading is deliberately simple and explainable (no model): the text is cut into clauses
 * (sentences, and at "while", "but", "whereas", …); each clause gets a polarity from a small lexicon
 * of judging words ("better", "accurate", "fails", "hallucinates"), with negation ("not better",
 * "no errors") and comparatives ("less accurate", "fewer errors") turning them; the responses named
 * in it take that polarity, except the one right after a contrast word ("than", "over", "unlike",
 * "compared to", "as … as"), which takes the opposite. A response named as the subject of a clause without judging
 * words leans slightly its way ("Response 2 provides a recipe, while Response 1 only lists …").
 * The stance is the response with the highest score, when it leads the others clearly; otherwise
 * the text is taken as not arguing for one response (null), and nothing is flagged.
 */

export interface Mention {
  /** Index into the trainer's display order. */
  position: number;
  start: number;
  end: number;
}

export interface Stance {
  /** Display position the text argues for, or null when it does not clearly argue for one. */
  position: number | null;
  /** Score per display position (positive: argued for). */
  scores: number[];
  mentions: Mention[];
}

const NOUNS = 'response|answer|output|option|completion|reply|assistant|model|candidate|summary|translation|version';
/** Words that follow a bare label used as a subject ("A is", "the first provides"). */
const VERBISH = new Set(
  (
    'is was has had does did provides provided gives gave offers offered answers answered explains explained includes included contains contained ' +
    'seems lacks lacked uses used correctly clearly also only fails failed misses missed makes made gets got wins won states stated mentions mentioned ' +
    'follows followed addresses addressed captures captured repeats repeated ignores ignored gets hallucinates hallucinated invents invented ' +
    'should would could might may must better worse more less'
  ).split(/\s+/),
);
/** "Response A", "Output (2)", "answer #1", "Assistant B's". */
const LABELLED = new RegExp(`\\b(?:${NOUNS})s?\\s*(?:#\\s*)?(?:\\(\\s*([A-Z]|[1-9])\\s*\\)|([A-Z]|[1-9])(?![\\w-]|['’](?!s\\b)))`, 'gi');
const ORDINALS: Record<string, number> = { first: 0, second: 1, third: 2, fourth: 3, fifth: 4 };

/** Every reference to a response in the text, as display positions (0-based); `n` responses on screen. */
export function findMentions(text: string, n: number): Mention[] {
  const out: Mention[] = [];
  const taken: [number, number][] = [];
  const free = (s: number, e: number) => taken.every(([a, b]) => e <= a || s >= b);
  const add = (position: number, start: number, end: number) => {
    if (position < 0 || position >= n || !free(start, end)) return;
    taken.push([start, end]);
    out.push({ position, start, end });
  };
  const nextWord = (at: number) => /^[\s,]*([A-Za-z']+|[.,;:!?)]|$)/.exec(text.slice(at))?.[1]?.toLowerCase() ?? '';

  // "Response A", "Output (2)", "answer #1", "Assistant B's"
  for (const m of text.matchAll(LABELLED)) {
    const label = (m[1] ?? m[2])!;
    if (/[a-z]/.test(label)) continue; // "answer a question": lower-case letters are words, not labels
    add(/\d/.test(label) ? Number(label) - 1 : label.charCodeAt(0) - 65, m.index, m.index + m[0].length);
  }
  // "the first (one|response)", "the second is", "the former", "the latter"
  for (const m of text.matchAll(/\b(?:the\s+)?(first|second|third|fourth|fifth|former|latter)\b(?:\s+(one|response|answer|output|option|reply|completion|candidate))?/gi)) {
    const word = m[1]!.toLowerCase();
    const hasThe = /^the\s/i.test(m[0]);
    if (word === 'former' || word === 'latter') {
      if (!hasThe || n !== 2) continue;
      add(word === 'former' ? 0 : 1, m.index, m.index + m[0].length);
      continue;
    }
    if (!m[2] && !(hasThe && VERBISH.has(nextWord(m.index + m[0].length)))) continue;
    add(ORDINALS[word]!, m.index, m.index + m[0].length);
  }
  // "the left one", "the right-hand response", "on the right", "left side"
  // ("the right answer" is the correct one, so "right" takes only unambiguous nouns.)
  for (const m of text.matchAll(
    /\b(?:on\s+the\s+(left|right)\b|(?:the\s+)?(left)(?:-hand)?\s+(?:one|response|answer|side|output|option|panel|column)\b|(?:the\s+)?(right)\s+(?:one|side|panel|column)\b|(left|right)-hand(?:\s+(?:one|response|answer|side|output|option|panel|column))?)/gi,
  )) {
    const side = (m[1] ?? m[2] ?? m[3] ?? m[4])!.toLowerCase();
    add(side === 'left' ? 0 : n - 1, m.index, m.index + m[0].length);
  }
  // "#1", "#2"
  for (const m of text.matchAll(/#([1-9])\b/g)) add(Number(m[1]) - 1, m.index, m.index + m[0].length);
  // Bare letters: "B is better than A", "I prefer B", "A's answer". "A" is also an article, so a bare
  // "A" counts only where a label fits (before a verb or punctuation, after "than", "prefer", …);
  // "I" never counts.
  for (const m of text.matchAll(/(?<![\w'’-])([A-Z])(?:['’]s)?(?![\w'’-])/g)) {
    const letter = m[1]!;
    if (letter === 'I') continue;
    if (letter === 'A') {
      const before = /([A-Za-z]+)\W*$/.exec(text.slice(Math.max(0, m.index - 20), m.index))?.[1]?.toLowerCase() ?? '';
      const after = nextWord(m.index + m[0].length);
      const labelAfter = /^([.,;:!?)]|)$/.test(after) || VERBISH.has(after) || after === 'and' || after === 'or' || after === 'over' || after === 'than' || after === 'vs';
      const labelBefore = ['than', 'over', 'prefer', 'preferred', 'choose', 'chose', 'pick', 'picked', 'and', 'vs', 'versus', 'unlike', 'to', 'with', 'both'].includes(before);
      // "A good answer is ...": an article, followed by a word that is not a verb.
      if (!labelAfter && !labelBefore) continue;
    }
    add(letter.charCodeAt(0) - 65, m.index, m.index + m[0].length);
  }
  return out.sort((a, b) => a.start - b.start);
}

// ---- the lexicon (lower case; a stem matches a word starting with it)

const POSITIVE = [
  'better', 'best', 'superior', 'prefer', 'preferable', 'favor', 'favour', 'winner', 'stronger', 'good', 'great', 'excellent',
  'correct', 'accurate', 'helpful', 'useful', 'clear', 'concise', 'complete', 'comprehensive', 'detailed', 'thorough', 'relevant',
  'valid', 'appropriate', 'coherent', 'precise', 'informative', 'specific', 'creative', 'engaging', 'succinct', 'fluent', 'natural',
  'effective', 'honest', 'factual', 'faithful', 'empath', 'friendly', 'professional', 'grammatical', 'readable', 'logical', 'sensible',
  'nicer', 'cleaner', 'addresses', 'captures', 'follow', 'satisf', 'organized', 'organised', 'structured', 'insightful', 'superb',
  'outperform', 'solid', 'reasonable', 'smooth', 'polite', 'safer', 'safe', 'truthful', 'well', 'preferred', 'nails', 'succeeds',
];
const POSITIVE_EXACT = new Set(['win', 'wins', 'won', 'right', 'ok', 'fine', 'nice', 'strong', 'true', 'exact', 'exactly', 'more']);
const NEGATIVE = [
  'worse', 'worst', 'inferior', 'poor', 'weak', 'incorrect', 'inaccura', 'wrong', 'error', 'mistake', 'fail', 'lack', 'missing', 'misses',
  'incomplete', 'irrelevant', 'unclear', 'confus', 'verbose', 'wordy', 'redundant', 'repeat', 'repetit', 'hallucinat', 'fabricat', 'unsafe',
  'harmful', 'toxic', 'rude', 'vague', 'generic', 'ignor', 'misunderst', 'misread', 'misinterpret', 'nonsens', 'gibberish', 'truncat',
  'unhelpful', 'useless', 'invalid', 'inappropriate', 'awkward', 'ungrammatical', 'untrue', 'contradict', 'copies', 'copied',
  'incoherent', 'off-topic', 'offtopic', 'unnecessar', 'misleading', 'flawed', 'broken', 'bug', 'sloppy', 'shallow', 'superficial',
  'outdated', 'unrelated', 'inconsistent', 'lengthy', 'ramble', 'clunky', 'problem', 'issue', 'overly', 'unsupported', 'inventing',
  'invents', 'invented', 'made-up', 'omit', 'skips', 'neglect', 'refus', 'disappoint', 'worthless', 'lower',
];
const NEGATIVE_EXACT = new Set(['bad', 'badly', 'miss', 'missed', 'false', 'only', 'merely', 'barely', 'nothing', 'none', 'less', 'fewer', 'lesser', 'weaker']);
/** Weight of a cue; "more"/"only" are weak (they mostly modify the next word). */
const WEAK = new Set(['more', 'only', 'merely', 'well', 'specific', 'fine', 'ok', 'right', 'true']);
/** Neutral despite the stem ("completely wrong" is not praise). */
const NEUTRAL = new Set(['completely', 'completed', 'clearly', 'wellbeing', 'goodbye', 'rightly', 'exactly']);
const NEGATORS = new Set(['not', 'no', 'never', 'without', 'hardly', 'cannot', "can't", 'nor', 'neither']);
/** Turn the next cue: "less accurate" is negative, "fewer errors" positive. */
const TURNERS = new Set(['less', 'fewer', 'lesser']);
const CONTRAST = new Set(['than', 'over', 'unlike', 'versus', 'vs', 'vs.']);
const SPLIT = /[.!?;]+(?=\s|$)|\n+|\b(?:while|whereas|but|however|although|though|yet|meanwhile|on the other hand)\b/gi;
const SKIP_CLAUSE = /^\W*(?:both|neither|either)\b|\b(?:both|neither|either|all)\s+(?:of\s+(?:the\s+)?)?(?:responses|answers|outputs|options|models|candidates|replies)\b|\bequally\b|\btied?\b/i;
/** Judging words after these describe the reason, and count half ("correct because it removed the unnecessary word"). */
const BECAUSE = new Set(['because', 'since', 'which', 'that', 'as']);

function cue(word: string): number {
  if (NEUTRAL.has(word)) return 0;
  if (POSITIVE_EXACT.has(word)) return WEAK.has(word) ? 0.5 : 1;
  if (NEGATIVE_EXACT.has(word)) return WEAK.has(word) ? -0.5 : -1;
  if (word.length < 4) return 0;
  if (NEGATIVE.some((s) => word.startsWith(s))) return -1;
  if (POSITIVE.some((s) => word.startsWith(s))) return WEAK.has(word) ? 0.5 : 1;
  return 0;
}

const isNegator = (w: string) => NEGATORS.has(w) || /n['’]?t$/.test(w) && /(?:isn|doesn|didn|wasn|aren|weren|don|hasn|haven|won|wouldn|couldn|shouldn|can)['’]?t$/.test(w);

interface Token {
  word: string;
  start: number;
}

/** Reads one clause: its polarity and where its contrast word is (mentions after it take the opposite). */
function readClause(tokens: Token[]): { polarity: number; contrasts: number[]; cues: number } {
  let polarity = 0;
  let cues = 0;
  const contrasts: number[] = [];
  let negateLeft = 0; // tokens the last negator still covers
  let negatorUsed = true;
  let turn = false;
  let weight = 1;
  for (let i = 0; i < tokens.length; i++) {
    const w = tokens[i]!.word;
    if (BECAUSE.has(w) && cues > 0) weight = 0.5;
    if (CONTRAST.has(w) || (w === 'compared' && ['to', 'with'].includes(tokens[i + 1]?.word ?? '')) || (w === 'instead' && tokens[i + 1]?.word === 'of')) {
      contrasts.push(tokens[i]!.start);
      continue;
    }
    // "as good as B": the second "as" works like "than".
    if (w === 'as' && i >= 2 && tokens.slice(Math.max(0, i - 3), i).some((t) => t.word === 'as') && cue(tokens[i - 1]!.word) !== 0) {
      contrasts.push(tokens[i]!.start);
      continue;
    }
    if (isNegator(w)) {
      if (!negatorUsed) polarity -= 0.5;
      negateLeft = 4;
      negatorUsed = false;
      continue;
    }
    if (TURNERS.has(w) && i + 1 < tokens.length && cue(tokens[i + 1]!.word) !== 0) {
      turn = true;
      continue;
    }
    let c = cue(w);
    if (c !== 0) {
      if (turn) c = -c;
      if (negateLeft > 0 && !negatorUsed) {
        c = -c;
        negatorUsed = true;
      }
      polarity += c * weight;
      cues++;
      turn = false;
    }
    if (negateLeft > 0) negateLeft--;
    if (negateLeft === 0 && !negatorUsed) {
      // "A does not address the question": a negated action without a judging word still counts against.
      polarity -= 0.5;
      negatorUsed = true;
    }
  }
  if (!negatorUsed) polarity -= 0.5;
  return { polarity, contrasts, cues };
}

const CONJUNCTIONS = new Set(['and', 'or']);
const COMPARING = new Set(['compared', 'to', 'with', 'instead', 'of', 'in', 'contrast']);
/** A reason clause about the subject: "… because it …", "… as it …". */
const REASON = new Set(['because', 'since', 'as', 'for', 'which']);
const PRONOUN = new Set(['it', 'its', "it's", 'they', 'this']);

/**
 * Scores one clause. Each response named owns the words up to the next one named (the words before
 * the first belong to the first: "I prefer B"), except a reason about the subject ("B is worse than A
 * because it invents …": "it" is B). A response named only before "and"/"or" shares the next one's
 * words ("A and B miss …"). The response right after a contrast word ("than A", "unlike A,") takes
 * the opposite of the one compared with it.
 */
function scoreClause(tokens: Token[], ms: Mention[], scores: number[]): void {
  const owner = (t: Token) => {
    let i = 0;
    for (let k = 0; k < ms.length; k++) if (ms[k]!.start < t.start) i = k;
    return i;
  };
  const groups: Token[][] = ms.map(() => []);
  for (let j = 0; j < tokens.length; j++) {
    const t = tokens[j]!;
    const o = owner(t);
    groups[o]!.push(t);
    // "… than A because it …": the reason is the subject's (the clause's first response).
    if (o > 0 && groups[o]!.length === 1 && REASON.has(t.word) && PRONOUN.has(tokens[j + 1]?.word ?? '')) {
      groups[o]!.pop();
      for (; j < tokens.length && owner(tokens[j]!) === owner(t); j++) groups[0]!.push(tokens[j]!);
      j--;
    }
  }
  const read = groups.map(readClause);
  const pol = read.map((r, i) => {
    const g = groups[i]!;
    if (r.cues === 0 && r.polarity === 0) return g.some((t) => !CONJUNCTIONS.has(t.word) && !CONTRAST.has(t.word) && !COMPARING.has(t.word)) ? 0.3 : 0;
    return r.polarity;
  });
  // "A and B both miss …": a response followed only by "and" shares the next one's polarity.
  for (let i = ms.length - 2; i >= 0; i--) if (groups[i]!.length > 0 && groups[i]!.every((t) => CONJUNCTIONS.has(t.word))) pol[i] = pol[i + 1]!;
  const add = new Map<number, number>();
  ms.forEach((m, i) => add.set(m.position, Math.max(add.get(m.position) ?? -Infinity, pol[i]!)));
  for (let i = 0; i < ms.length; i++) {
    for (const c of read[i]!.contrasts) {
      const after = ms.findIndex((m) => m.start > c);
      if (after === -1) continue;
      const before = ms.findLastIndex((m) => m.start < c);
      // "Unlike A, B …": compared with the response after it.
      const ref = before === -1 ? after + 1 : before;
      if (ref >= ms.length || ref === after) continue;
      const p = pol[ref]!;
      add.set(ms[after]!.position, (ms[after]!.position === ms[ref]!.position ? 0 : (groups[after]!.length ? pol[after]! : 0)) - p);
    }
  }
  for (const [pos, v] of add) scores[pos]! += v;
}

/** Which response (display position) the text argues for; `n` responses on the trainer's screen. */
export function justificationStance(text: string, n: number): Stance {
  const scores = Array.from({ length: n }, () => 0);
  const mentions = findMentions(text, n);
  if (n < 2 || mentions.length === 0) return { position: null, scores, mentions };
  // Clause boundaries.
  const cuts = [0];
  for (const m of text.matchAll(SPLIT)) cuts.push(m.index, m.index + m[0].length);
  // A response named right after a comma, colon or dash starts a clause of its own ("A is best, B is wrong").
  for (const m of mentions) {
    const lead = /[,:—–-]\s*(?:the\s+|and\s+)?$/i.exec(text.slice(Math.max(0, m.start - 8), m.start));
    // …but not after "Unlike A," or "Compared to A,", which compare with the response that follows.
    const compared = /\b(?:unlike|compared\s+(?:to|with)|in\s+contrast\s+to)\s+[^,.;]*,\s*$/i.test(text.slice(Math.max(0, m.start - 60), m.start));
    if (lead && !compared) cuts.push(m.start - lead[0].length, m.start - lead[0].length + 1);
  }
  cuts.sort((a, b) => a - b);
  cuts.push(text.length);
  for (let k = 0; k + 1 < cuts.length; k += 2) {
    const [from, to] = [cuts[k]!, cuts[k + 1]!];
    const inClause = mentions.filter((m) => m.start >= from && m.start < to);
    if (inClause.length === 0) continue;
    const clause = text.slice(from, to);
    if (SKIP_CLAUSE.test(clause)) continue;
    // Words outside the mentions themselves ("Response 2" is not a judging word).
    const tokens: Token[] = [];
    for (const w of clause.matchAll(/[A-Za-z][A-Za-z'’-]*/g)) {
      const at = from + w.index;
      if (inClause.some((m) => at >= m.start && at < m.end)) continue;
      tokens.push({ word: w[0].toLowerCase().replace(/’/g, "'"), start: at });
    }
    scoreClause(tokens, inClause, scores);
  }
  if (n === 2) {
    // Two responses: arguing against one is arguing for the other ("A is worse" argues for B).
    const d = scores[0]! - scores[1]!;
    return { position: Math.abs(d) >= 0.5 ? (d > 0 ? 0 : 1) : null, scores, mentions };
  }
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const [top, second] = [order[0]!, order[1]!];
  const position = top[0] > 0 && top[0] - second[0] >= 0.5 ? top[1] : null;
  return { position, scores, mentions };
}
