/**
 * Exports: the rows of each kind, built from pages of current consensus labels (or judgments) and
 * encoded as they are read, so a download holds one page (and, for Parquet, one row group) in
 * memory whatever the project's size. The leaderboard and the agreement report are the quality
 * service's own figures, flattened into rows.
 *
 * Pair rules (shared by the DPO, reward-model and SFT rows and their counts in the repository):
 * a pairwise label's value is "how much better is b than a" (> 0: b chosen; < 0: a chosen; 0: a tie,
 * left out); a ranking gives one pair for every two responses in different groups, the better group's
 * response chosen, in group order; responses in one group are tied and never paired.
 */
import {
  AppError,
  canonicalSpans,
  spanTextOf,
  EXPORT_METHODS,
  EXPORT_MEDIA_TYPES,
  type ExportCount,
  type ExportCountQuery,
  type ExportFormat,
  type ExportKind,
  type FieldIssue,
  type TaskKind,
} from '@accord/core';
import type { AuditEntry } from '../../platform/audit.ts';
import { bioTags } from './exports.bio.ts';
import type { QualityService } from '../quality/quality.service.ts';
import { contentDisposition, encoderFor, safeFileName, type Column, type ColumnType, type Row } from './exports.format.ts';
import { hasFilter, type ExportsRepo, type LabelFilter, type LabelRow, type Provenance, type StoredResponse, type Turn } from './exports.repo.ts';

/** What the service needs of a project (a `ProjectAccess`'s project row fits). */
export interface ExportProject {
  id: string;
  name: string;
  taskKind: TaskKind;
  settings: unknown;
}

/** Labels read per database page. */
const PAGE = 500;

const PROVENANCE_COLUMNS: Column[] = [
  { name: 'method', type: 'STRING' },
  { name: 'agreement', type: 'DOUBLE' },
  { name: 'rubricVersion', type: 'INT32' },
  { name: 'judgments', type: 'INT32' },
  { name: 'committedAt', type: 'TIMESTAMP' },
];

const provenance = (p: Provenance | null): Row => ({
  method: p?.method ?? null,
  agreement: p?.agreement ?? null,
  rubricVersion: p?.rubricVersion ?? null,
  judgments: p?.judgments ?? null,
  committedAt: p?.committedAt ?? null,
});

/** The columns of each kind; `conv` says whether prompts and completions are message lists. */
export function columnsOf(kind: ExportKind, conv: boolean): Column[] {
  const text: ColumnType = conv ? 'JSON' : 'STRING';
  const c = (name: string, type: ColumnType): Column => ({ name, type });
  switch (kind) {
    case 'dpo':
      return [
        c('prompt', text),
        c('chosen', text),
        c('rejected', text),
        c('externalId', 'STRING'),
        c('chosenId', 'STRING'),
        c('rejectedId', 'STRING'),
        c('chosenModel', 'STRING'),
        c('rejectedModel', 'STRING'),
        ...PROVENANCE_COLUMNS,
      ];
    case 'rm':
      return [c('prompt', text), c('responses', 'JSON'), c('externalId', 'STRING'), ...PROVENANCE_COLUMNS];
    case 'sft':
      return [c('messages', 'JSON'), c('externalId', 'STRING'), c('responseId', 'STRING'), c('model', 'STRING'), ...PROVENANCE_COLUMNS];
    case 'scores':
      return [c('externalId', 'STRING'), c('dimension', 'STRING'), c('responseId', 'STRING'), c('model', 'STRING'), c('value', 'DOUBLE'), ...PROVENANCE_COLUMNS];
    case 'consensus':
      return [
        c('externalId', 'STRING'),
        c('itemId', 'STRING'),
        c('labelId', 'STRING'),
        c('preference', 'JSON'),
        c('scores', 'JSON'),
        c('spans', 'JSON'),
        ...PROVENANCE_COLUMNS,
        c('judgmentIds', 'JSON'),
        c('rationale', 'STRING'),
        c('tag', 'STRING'),
      ];
    case 'judgments':
      return [
        c('externalId', 'STRING'),
        c('judgmentId', 'STRING'),
        c('itemId', 'STRING'),
        c('annotatorId', 'STRING'),
        c('annotatorName', 'STRING'),
        c('annotatorKind', 'STRING'),
        c('source', 'STRING'),
        c('judgmentRubricVersion', 'INT32'),
        c('payload', 'JSON'),
        c('responseOrder', 'JSON'),
        c('timeSpentMs', 'INT32'),
        c('createdAt', 'TIMESTAMP'),
        c('submittedAt', 'TIMESTAMP'),
        ...PROVENANCE_COLUMNS,
      ];
    case 'spans':
      return [c('externalId', 'STRING'), c('text', 'STRING'), c('spans', 'JSON'), ...PROVENANCE_COLUMNS];
    case 'bio':
      return [c('externalId', 'STRING'), c('tokens', 'JSON'), c('tags', 'JSON'), ...PROVENANCE_COLUMNS];
    case 'leaderboard':
      return [
        c('model', 'STRING'),
        c('strength', 'DOUBLE'),
        c('ciLow', 'DOUBLE'),
        c('ciHigh', 'DOUBLE'),
        c('comparisons', 'INT32'),
        c('wins', 'INT32'),
        c('ties', 'INT32'),
        c('losses', 'INT32'),
        c('from', 'STRING'),
        c('bootstrapSamples', 'INT32'),
        c('computedAt', 'TIMESTAMP'),
      ];
    case 'redteam':
      return [
        c('goal', 'STRING'),
        c('externalId', 'STRING'),
        c('judgmentId', 'STRING'),
        c('turns', 'JSON'),
        c('response', 'STRING'),
        c('source', 'STRING'),
        c('endpoint', 'STRING'),
        c('model', 'STRING'),
        c('category', 'JSON'),
        c('severity', 'INT32'),
        c('success', 'BOOLEAN'),
        c('confirmations', 'INT32'),
        c('disputes', 'INT32'),
        c('reviews', 'JSON'),
        c('annotatorId', 'STRING'),
        c('annotatorName', 'STRING'),
        c('judgmentSource', 'STRING'),
        c('rubricVersion', 'INT32'),
        c('submittedAt', 'TIMESTAMP'),
      ];
    case 'agreement':
      return [
        c('section', 'STRING'),
        c('key', 'STRING'),
        c('name', 'STRING'),
        c('judgments', 'INT32'),
        c('items', 'INT32'),
        c('alphaOrdinal', 'DOUBLE'),
        c('alphaNominal', 'DOUBLE'),
        c('percentAgreement', 'DOUBLE'),
        c('fleissKappa', 'DOUBLE'),
        c('kendallW', 'DOUBLE'),
        c('figures', 'JSON'),
        c('computedAt', 'TIMESTAMP'),
      ];
  }
}

// ---------------------------------------------------------------- pairs and rows of a label

interface Pair {
  chosen: string;
  rejected: string;
}

/** The groups of a label's preference, best first (pairwise: the better one first; a tie: one group). */
export function groupsOf(preference: unknown): string[][] {
  const p = preference as { kind?: string; a?: string; b?: string; value?: number; groups?: string[][] } | null | undefined;
  if (p?.kind === 'pairwise' && typeof p.a === 'string' && typeof p.b === 'string' && typeof p.value === 'number') {
    if (p.value > 0) return [[p.b], [p.a]];
    if (p.value < 0) return [[p.a], [p.b]];
    return [[p.a, p.b]];
  }
  if (p?.kind === 'ranking' && Array.isArray(p.groups)) return p.groups.filter((g) => Array.isArray(g) && g.length > 0);
  return [];
}

/** Every pair the preference orders: responses of different groups, the better group's chosen; ties never. */
export function pairsOf(preference: unknown): Pair[] {
  const groups = groupsOf(preference);
  const out: Pair[] = [];
  for (let i = 0; i < groups.length; i++)
    for (let j = i + 1; j < groups.length; j++) for (const chosen of groups[i]!) for (const rejected of groups[j]!) out.push({ chosen, rejected });
  return out;
}

/** TRL's prompt: the conversation as messages, or the prompt text. */
function promptOf(l: { prompt: string; context: Turn[] }, conv: boolean): unknown {
  return conv ? [...l.context.map((t) => ({ role: t.role, content: t.content })), { role: 'user', content: l.prompt }] : l.prompt;
}
const completionOf = (content: string, conv: boolean): unknown => (conv ? [{ role: 'assistant', content }] : content);

export function rowsOfLabel(kind: ExportKind, l: LabelRow, conv: boolean): Row[] {
  const byId = new Map<string, StoredResponse>(l.responses.map((r) => [r.id, r]));
  const prov = { externalId: l.externalId, ...provenance(l) };
  switch (kind) {
    case 'dpo':
      return pairsOf(l.label.preference).flatMap(({ chosen, rejected }) => {
        const c = byId.get(chosen);
        const r = byId.get(rejected);
        if (!c || !r) return [];
        return [{ prompt: promptOf(l, conv), chosen: completionOf(c.content, conv), rejected: completionOf(r.content, conv), chosenId: c.id, rejectedId: r.id, chosenModel: c.model, rejectedModel: r.model, ...prov }];
      });
    case 'rm': {
      const groups = groupsOf(l.label.preference);
      if (groups.length < 2) return [];
      const responses: unknown[] = [];
      let rank = 1;
      groups.forEach((g, gi) => {
        for (const id of g) {
          const r = byId.get(id);
          if (r) responses.push({ id: r.id, model: r.model, content: r.content, rank, group: gi + 1 });
        }
        rank += g.length;
      });
      return [{ prompt: promptOf(l, conv), responses, ...prov }];
    }
    case 'sft': {
      const groups = groupsOf(l.label.preference);
      const best = groups.length > 1 && groups[0]!.length === 1 ? byId.get(groups[0]![0]!) : undefined;
      if (!best) return [];
      const messages = [...(promptOf(l, true) as unknown[]), { role: 'assistant', content: best.content }];
      return [{ messages, responseId: best.id, model: best.model, ...prov }];
    }
    case 'scores': {
      const scores = Array.isArray(l.label.scores) ? (l.label.scores as { dimension?: string; responseId?: string; value?: number }[]) : [];
      return scores.map((s) => ({
        dimension: s.dimension ?? null,
        responseId: s.responseId ?? null,
        model: s.responseId ? (byId.get(s.responseId)?.model ?? null) : null,
        value: typeof s.value === 'number' ? s.value : null,
        ...prov,
      }));
    }
    case 'consensus':
      return [
        {
          itemId: l.itemId,
          labelId: l.labelId,
          preference: l.label.preference ?? null,
          scores: l.label.scores ?? [],
          spans: l.label.spans ?? [],
          judgmentIds: l.judgmentIds,
          rationale: l.rationale,
          tag: l.tag,
          ...prov,
        },
      ];
    case 'spans':
    case 'bio': {
      const p = l.label.preference as { kind?: string; spans?: { start: number; end: number; label: string }[] } | null | undefined;
      const text = spanTextOf(l);
      if (p?.kind !== 'spans' || !Array.isArray(p.spans) || text === null) return [];
      // The label's spans in text order, with the text they cover (read from the item, not trusted from the label).
      const spans = canonicalSpans(p.spans, text);
      if (kind === 'spans') return [{ text, spans, ...prov }];
      const { tokens, tags } = bioTags(text, spans);
      return [{ tokens: tokens.map((t) => t.text), tags, ...prov }];
    }
    default:
      return [];
  }
}

// ---------------------------------------------------------------- filters

function bad(path: string, message: string): never {
  throw new AppError('validation_failed', `${path}: ${message}`, [{ path, message }] satisfies FieldIssue[]);
}

const DAY_MS = 86_400_000;
const isDateOnly = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s);

/**
 * The filters as the repository takes them. `methods` are every value of the (repeatable,
 * comma-separated) `method` parameter; `statistical` stands for Dawid–Skene and Bradley–Terry.
 */
export function resolveFilter(q: ExportCountQuery, methods: string[]): LabelFilter {
  let resolved: string[] | null = null;
  const names = methods.flatMap((m) => m.split(',')).map((m) => m.trim()).filter((m) => m !== '');
  if (names.length > 0) {
    const set = new Set<string>();
    for (const n of names) {
      if (!(EXPORT_METHODS as readonly string[]).includes(n)) bad('query.method', `unknown method "${n.slice(0, 40)}"; use ${EXPORT_METHODS.join(', ')}`);
      if (n === 'statistical') set.add('dawid-skene').add('bradley-terry');
      else set.add(n);
    }
    resolved = [...set].sort();
  }
  const from = q.from ? new Date(isDateOnly(q.from) ? `${q.from}T00:00:00Z` : q.from) : null;
  const toExclusive = q.to ? (isDateOnly(q.to) ? new Date(Date.parse(`${q.to}T00:00:00Z`) + DAY_MS) : new Date(Date.parse(q.to) + 1)) : null;
  if (from && toExclusive && toExclusive.getTime() <= from.getTime()) bad('query.to', 'must not be before the start date (from)');
  return { methods: resolved, minAgreement: q.minAgreement ?? null, rubricVersion: q.rubricVersion ?? null, from, toExclusive };
}

/** The query parameters that are filters, named as the API names them. */
const FILTER_PARAMS = ['method', 'minAgreement', 'rubricVersion', 'from', 'to'] as const;

// ---------------------------------------------------------------- service

export interface ExportDownload {
  fileName: string;
  contentDisposition: string;
  contentType: string;
  rows: number;
  body: ReadableStream<Uint8Array>;
}

/** A writing project's SFT export: its accepted writings (features/writing), not consensus labels. */
export interface WritingSftSource {
  sftCount(projectId: string): Promise<number>;
  sftRows(projectId: string): AsyncGenerator<Row[]>;
}

/** The columns of a writing project's SFT export: the conversation and its provenance. */
export const WRITING_SFT_COLUMNS: Column[] = [
  { name: 'messages', type: 'JSON' },
  { name: 'metadata', type: 'JSON' },
];

/** Reports computed whole by another feature (small: one row per model, section or attack); the label filters do not apply. */
type ReportKind = 'leaderboard' | 'agreement' | 'redteam';
const isReport = (k: ExportKind): k is ReportKind => k === 'leaderboard' || k === 'agreement' || k === 'redteam';

export function createExportService(deps: {
  repo: ExportsRepo;
  quality: Pick<QualityService, 'leaderboard' | 'agreement'>;
  writing?: WritingSftSource;
  audit: (entry: AuditEntry) => Promise<void>;
  /** The red-team dataset's rows (the redteam feature's). */
  redteamRows?: (projectId: string) => Promise<Row[]>;
}) {
  const { repo, quality } = deps;
  const writingSft = (project: ExportProject, kind: ExportKind) => (project.taskKind === 'writing' && kind === 'sft' && deps.writing ? deps.writing : null);

  function checkFilters(kind: ExportKind, q: ExportCountQuery, methods: string[], project?: ExportProject): LabelFilter {
    if (isReport(kind))
      for (const p of FILTER_PARAMS) if ((p === 'method' ? methods.length > 0 : q[p] !== undefined)) bad(`query.${p}`, `does not apply to the ${kind} export (it covers every judgment, as the quality figures do)`);
    if (project && writingSft(project, kind))
      for (const p of FILTER_PARAMS) if ((p === 'method' ? methods.length > 0 : q[p] !== undefined)) bad(`query.${p}`, 'does not apply to a writing project\'s SFT export (it holds every accepted writing)');
    return resolveFilter(q, methods);
  }

  async function reportRows(project: ExportProject, kind: ReportKind): Promise<Row[]> {
    if (kind === 'redteam') return deps.redteamRows ? deps.redteamRows(project.id) : [];
    const qp = { id: project.id, taskKind: project.taskKind, settings: project.settings };
    if (kind === 'leaderboard') {
      const lb = await quality.leaderboard(qp, { from: 'judgments', samples: 200, seed: 1 });
      const computedAt = new Date(lb.computedAt);
      return lb.models.map((m) => ({ model: m.model, strength: m.strength, ciLow: m.ci?.[0] ?? null, ciHigh: m.ci?.[1] ?? null, comparisons: m.comparisons, wins: m.wins, ties: m.ties, losses: m.losses, from: lb.from, bootstrapSamples: lb.bootstrapSamples, computedAt }));
    }
    const a = await quality.agreement(qp, { samples: 200, seed: 1 });
    const computedAt = new Date(a.computedAt);
    type Figs = { alpha: { ordinal: { value: number | null }; nominal: { value: number | null } }; percentAgreement: { value: number | null }; fleissKappa: { value: number | null } | null; kendallW?: { value: number | null } | null };
    const figs = (f: Figs) => ({
      alphaOrdinal: f.alpha.ordinal.value,
      alphaNominal: f.alpha.nominal.value,
      percentAgreement: f.percentAgreement.value,
      fleissKappa: f.fleissKappa?.value ?? null,
      kendallW: f.kendallW?.value ?? null,
      figures: { alpha: f.alpha, percentAgreement: f.percentAgreement, fleissKappa: f.fleissKappa, kendallW: f.kendallW ?? null },
      computedAt,
    });
    return [
      { section: 'overall', key: a.taskKind, name: 'Overall', judgments: a.judgments, items: a.items, ...figs(a.overall) },
      ...a.dimensions.map((d) => ({ section: 'dimension', key: d.dimension, name: d.name, judgments: d.judgments, items: null, ...figs(d) })),
      ...a.byVersion.map((v) => ({ section: 'rubricVersion', key: v.rubricVersion === null ? 'none' : String(v.rubricVersion), name: v.rubricVersion === null ? 'No rubric version' : `Version ${v.rubricVersion}`, judgments: v.judgments, items: v.items, ...figs(v) })),
      ...a.overTime.map((p) => ({ section: p.period, key: p.start, name: `${p.start.slice(0, 10)} – ${p.end.slice(0, 10)}`, judgments: p.judgments, items: p.items, ...figs(p) })),
      // Classification: each label as chosen-or-not (α nominal; judgments: those that chose it), and MASI α over the label sets.
      ...(a.labels ?? []).map((l) => ({ section: 'label', key: l.label, name: l.name, judgments: l.picked, items: null, alphaOrdinal: null, alphaNominal: l.alpha.value, percentAgreement: null, fleissKappa: null, kendallW: null, figures: { alpha: { nominal: l.alpha } }, computedAt })),
      ...(a.masiAlpha ? [{ section: 'labelSets', key: 'masi', name: 'Label sets (MASI α)', judgments: a.judgments, items: a.items, alphaOrdinal: null, alphaNominal: null, percentAgreement: null, fleissKappa: null, kendallW: null, figures: { masiAlpha: a.masiAlpha }, computedAt }] : []),
    ];
  }

  /** Batches of rows of an item kind, one database page at a time. */
  async function* itemBatches(project: ExportProject, kind: ExportKind, filter: LabelFilter, conv: boolean): AsyncGenerator<Row[]> {
    if (kind === 'judgments') {
      const f = hasFilter(filter) ? filter : null;
      let after: string | null = null;
      for (;;) {
        const page = await repo.judgments(project.id, f, after, PAGE);
        if (page.last === null) return;
        after = page.last;
        yield page.rows.map((j) => ({
          externalId: j.externalId,
          judgmentId: j.judgmentId,
          itemId: j.itemId,
          annotatorId: j.annotatorId,
          annotatorName: j.annotatorName,
          annotatorKind: j.annotatorKind,
          source: j.source,
          judgmentRubricVersion: j.rubricVersion,
          payload: j.payload,
          responseOrder: j.responseOrder,
          timeSpentMs: j.timeSpentMs,
          createdAt: j.createdAt,
          submittedAt: j.submittedAt,
          ...provenance(j.label),
        }));
      }
    }
    // The next page is read while this one is encoded and sent (two pages in memory at most).
    const read = (after: string | null) => {
      const p = repo.labels(project.id, filter, after, PAGE);
      p.catch(() => {}); // awaited below; a download cancelled meanwhile must not leave it unhandled
      return p;
    };
    let pending = read(null);
    for (;;) {
      const labels = await pending;
      if (labels.length === 0) return;
      pending = labels.length < PAGE ? Promise.resolve([]) : read(labels[labels.length - 1]!.externalId);
      yield labels.flatMap((l) => rowsOfLabel(kind, l, conv));
    }
  }

  async function rowCount(project: ExportProject, kind: ExportKind, filter: LabelFilter): Promise<{ rows: number; labels: number | null }> {
    if (isReport(kind)) return { rows: (await reportRows(project, kind)).length, labels: null };
    const c = await repo.counts(project.id, filter);
    if (kind === 'judgments') return { rows: await repo.judgmentCount(project.id, hasFilter(filter) ? filter : null), labels: c.labels };
    const rows = kind === 'consensus' ? c.labels : kind === 'bio' ? c.spans : c[kind as 'dpo' | 'rm' | 'sft' | 'scores' | 'spans'];
    return { rows, labels: c.labels };
  }

  return {
    async count(project: ExportProject, kind: ExportKind, q: ExportCountQuery, methods: string[]): Promise<ExportCount> {
      const filter = checkFilters(kind, q, methods, project);
      const w = writingSft(project, kind);
      if (w) return { kind, rows: await w.sftCount(project.id), labels: null, columns: WRITING_SFT_COLUMNS.map((c) => c.name) };
      const conv = isReport(kind) ? false : await repo.conversational(project.id);
      const { rows, labels } = await rowCount(project, kind, filter);
      return { kind, rows, labels, columns: columnsOf(kind, conv).map((c) => c.name) };
    },

    /** Opens a download: counts its rows, writes the audit record, and returns the streamed file. */
    async download(project: ExportProject, kind: ExportKind, format: ExportFormat, q: ExportCountQuery, methods: string[], actorId: string): Promise<ExportDownload> {
      const filter = checkFilters(kind, q, methods, project);
      const w = writingSft(project, kind);
      const report = isReport(kind);
      const conv = report || w ? false : await repo.conversational(project.id);
      const columns = w ? WRITING_SFT_COLUMNS : columnsOf(kind, conv);
      // A report is small and computed whole by another feature; item kinds are read page by page.
      const reportData = report ? await reportRows(project, kind) : null;
      const rows = reportData ? reportData.length : w ? await w.sftCount(project.id) : (await rowCount(project, kind, filter)).rows;
      await deps.audit({
        actorId,
        action: 'export.download',
        projectId: project.id,
        target: kind,
        details: { kind, format, rows, filters: { method: filter.methods, minAgreement: filter.minAgreement, rubricVersion: filter.rubricVersion, from: q.from ?? null, to: q.to ?? null } },
      });
      const batches: AsyncGenerator<Row[]> = reportData
        ? (async function* () {
            yield reportData;
          })()
        : w
          ? w.sftRows(project.id)
          : itemBatches(project, kind, filter, conv);
      const encoder = encoderFor(format, columns);
      let done = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          // Until a chunk is out (a Parquet row group may take several pages) or the file ends.
          for (;;) {
            if (done) return;
            const next = await batches.next();
            const chunks = next.done ? encoder.end() : encoder.write(next.value);
            for (const ch of chunks) if (ch.byteLength > 0) controller.enqueue(ch);
            if (next.done) {
              done = true;
              controller.close();
              return;
            }
            if (chunks.length > 0) return;
          }
        },
        async cancel() {
          done = true;
          await batches.return(undefined);
        },
      });
      const day = new Date().toISOString().slice(0, 10);
      const fileName = safeFileName(`${project.name}-${kind}-${day}`, format);
      return { fileName, contentDisposition: contentDisposition(fileName), contentType: EXPORT_MEDIA_TYPES[format], rows, body };
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
