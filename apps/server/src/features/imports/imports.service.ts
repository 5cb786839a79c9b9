/**
 * Imports: the upload is streamed to a temporary file (bounded memory, size limit enforced while
 * reading), a job row is created, and the file is processed in the background in batches of 500,
 * the job row updated after each batch so clients can follow progress. Every rejected record is
 * counted and the first 1,000 kept with line number and reason; good records are kept. Re-importing
 * the same file changes nothing: items are matched by (project, external id), judgments by
 * (item, annotator).
 *
 * A job whose process stopped (crash, restart, deploy) cannot resume: its file was a temporary one.
 * The process running a job renews its heartbeat; at start-up and then every minute, any process
 * marks running jobs whose heartbeat stopped as failed, so a job never stays "running" forever
 * and a job running on another node sharing the database is left alone.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppError,
  IMPORT_LIMITS,
  canonicalPayload,
  canonicalPreference,
  preferenceIssues,
  scoreIssues,
  flagIssues,
  isLabelingKind,
  RubricSchema,
  type RubricRules,
  ImportItemSchema,
  ImportJudgmentSchema,
  describeIssues,
  issuesOf,
  type ImportJob,
  type ImportJudgment,
  type ImportQuery,
  type JudgmentPayload,
  type TaskKind,
} from '@accord/core';
import type { StoredResponse } from '@accord/db';
import type { Logger } from '../../platform/logger.ts';
import { stableJson } from '../../platform/stable-json.ts';
import { csvToItem, labelStudioAnnotations, labelStudioToItem } from './import-formats.ts';
import { csvRecords, jsonArrayRecords, jsonlRecords, type RawRecord } from './import-parsers.ts';
import { toImportJob, type ImportsRepo, type JobRow } from './imports.repo.ts';

const BATCH = 500;
/** How often a running job's heartbeat is renewed, and after how long without one it counts as interrupted. */
export const IMPORT_HEARTBEAT_MS = 10_000;
export const IMPORT_STALE_MS = 60_000;
export const INTERRUPTED_MESSAGE = 'interrupted by a server restart; re-upload the file (re-importing is idempotent)';
// ---------------------------------------------------------------- service

export interface ImportServiceOptions {
  repo: ImportsRepo;
  logger: Logger;
  maxBytes: number;
  /** From the users feature: finding accounts and creating placeholders for unknown annotators. */
  users: {
    account(by: { id: string } | { email: string }): Promise<{ id: string; placeholder: boolean } | null>;
    createPlaceholder(email: string, name: string): Promise<{ id: string; created: boolean }>;
  };
  /** From the projects feature: who is a member already; placeholder annotators join as trainers of their kind. */
  members: {
    member(projectId: string, userId: string): Promise<{ kind: AnnotatorKind } | null>;
    ensureMember(projectId: string, userId: string, role: 'trainer', kind: AnnotatorKind): Promise<void>;
  };
  /** From the rubrics feature: the newest published version, to check imported ratings and labels against. */
  rubrics?: { latestContent(projectId: string): Promise<{ version: number; content: Record<string, unknown> } | null> };
  /** Runs after judgments were imported (the consensus of their items), before the job reports done. */
  onJudgments?: (projectId: string) => Promise<void>;
  /**
   * Runs when an import replaced or added judgments of items that may have a current consensus label:
   * the label no longer says what its judgments say (the consensus feature supersedes it).
   */
  onJudgmentsChanged?: (projectId: string, itemIds: string[], actorId: string | null, note: string) => Promise<void>;
  /** Runs after rows were written to a table (`items`, `judgments`), before the job reports done: its ANALYZE when they are many. */
  afterBulkWrite?: (table: 'items' | 'judgments', rows: number) => Promise<void>;
}

type AnnotatorKind = 'human' | 'model';

/** The rubric's flag an imported flag names by its id or its name (any case); else the flag as given (then refused). */
function flagId(flag: string, rules: RubricRules | null): string {
  const key = flag.trim().toLowerCase();
  return rules?.flags.find((f) => f.id.toLowerCase() === key || (f as { name?: string }).name?.trim().toLowerCase() === key)?.id ?? flag;
}

/**
 * What a job's batches share: placeholders created, who imports (the actor of superseded labels), and
 * the newest published rubric, whose dimensions and flags imported scores and flags must name.
 */
interface ImportExtra {
  placeholders: number;
  actorId: string | null;
  jobId: string;
  rules: RubricRules | null;
}

interface Counters {
  bytesRead: number;
  linesRead: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  errors: { line: number; reason: string }[];
}

export function createImportService({ repo, logger, maxBytes, users, members, rubrics, onJudgments, onJudgmentsChanged, afterBulkWrite }: ImportServiceOptions) {
  const running = new Map<string, Promise<void>>();
  let closing = false;
  let timer: NodeJS.Timeout | null = null;

  /** Marks running jobs with a stopped heartbeat failed; returns how many. The database's clock decides, so nodes' clocks need not agree. */
  async function failInterrupted(): Promise<number> {
    const ids = await repo.failStale(IMPORT_STALE_MS, INTERRUPTED_MESSAGE);
    if (ids.length) logger.info('import jobs interrupted by a restart marked failed', { jobs: ids });
    return ids.length;
  }

  async function beat(): Promise<void> {
    if (running.size) await repo.beat([...running.keys()]);
  }

  async function receive(body: ReadableStream<Uint8Array> | null, declaredLength: number | null): Promise<{ dir: string; file: string; size: number }> {
    if (!body) throw new AppError('validation_failed', 'body: the file is missing (send it as the raw request body)', [{ path: 'body', message: 'is required' }]);
    if (declaredLength !== null && declaredLength > maxBytes) throw new AppError('payload_too_large', `The file is larger than the import limit of ${maxBytes} bytes.`);
    const dir = await mkdtemp(join(tmpdir(), 'accord-import-'));
    const file = join(dir, 'upload');
    const out = createWriteStream(file);
    let size = 0;
    try {
      const reader = body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => {});
          throw new AppError('payload_too_large', `The file is larger than the import limit of ${maxBytes} bytes.`);
        }
        if (!out.write(value)) await new Promise<void>((res) => out.once('drain', () => res()));
      }
      await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
      if (size === 0) throw new AppError('validation_failed', 'body: the file is empty', [{ path: 'body', message: 'is empty' }]);
      return { dir, file, size };
    } catch (e) {
      out.destroy();
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async function* records(format: ImportQuery['format'], file: string, counters: Counters): AsyncGenerator<RawRecord> {
    const stream = createReadStream(file, { highWaterMark: 256 * 1024 });
    const counted = (async function* () {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        counters.bytesRead += chunk.length;
        yield chunk;
      }
    })();
    if (format === 'jsonl') yield* jsonlRecords(counted);
    else if (format === 'csv') yield* csvRecords(counted);
    else yield* jsonArrayRecords(counted);
  }

  function reject(c: Counters, line: number, reason: string) {
    c.rejected++;
    if (c.errors.length < IMPORT_LIMITS.maxErrorsKept) c.errors.push({ line, reason });
  }

  async function saveProgress(jobId: string, c: Counters, done?: { status: 'done' | 'failed'; message: string | null }) {
    await repo.updateJob(jobId, {
        bytesRead: c.bytesRead,
        linesRead: c.linesRead,
        created: c.created,
        updated: c.updated,
        unchanged: c.unchanged,
        rejected: c.rejected,
        errors: c.errors.sort((a, b) => a.line - b.line),
        ...(done ? { status: done.status, message: done.message, finishedAt: new Date() } : {}),
    });
  }

  // ---- items

  interface ItemRow {
    line: number;
    externalId: string;
    prompt: string;
    context: { role: 'system' | 'user' | 'assistant'; content: string }[];
    responses: StoredResponse[];
    reference: string | null;
    gold: unknown;
    metadata: Record<string, unknown>;
    /** Label Studio annotations of this task, imported as judgments once the item is stored. */
    annotations: JudgmentRow[];
    /** Label Studio annotations that cannot be mapped, reported on the task's line. */
    problems: string[];
  }

  /** " (id 42)" for a Label Studio task with an id, else "". */
  const taskIdOf = (value: unknown): string => {
    const id = value && typeof value === 'object' && !Array.isArray(value) ? (value as { id?: unknown }).id : undefined;
    return typeof id === 'string' || typeof id === 'number' ? ` (id ${String(id).slice(0, 40)})` : '';
  };

  function normaliseItem(format: ImportQuery['format'], value: unknown, taskKind: TaskKind, rubric?: RubricRules): ItemRow | string {
    let input: unknown;
    try {
      input = format === 'csv' ? csvToItem(value as Record<string, string>) : format === 'label-studio' ? labelStudioToItem(value) : value;
    } catch (e) {
      return (e as Error).message;
    }
    const r = ImportItemSchema.safeParse(input);
    if (!r.success) return describeIssues(issuesOf(r.error));
    const it = r.data;
    const responses: StoredResponse[] = it.responses.map((x, i) => ({ id: x.id ?? `r${i + 1}`, model: x.model, kind: x.kind, content: x.content }));
    const seen = new Set<string>();
    for (const [i, x] of responses.entries()) {
      if (seen.has(x.id)) return `responses.${i}.id: repeats the response id ${x.id}`;
      seen.add(x.id);
      if (x.kind === 'image' && !/^https:\/\/\S+$/i.test(x.content)) return `responses.${i}.content: an image response must be an https URL`;
    }
    if (taskKind === 'writing') {
      if (responses.length > 1) return `responses: a writing project takes the prompt and at most 1 model response to rewrite (got ${responses.length})`;
      // A written demonstration has no right answer to check trainers against.
      if (it.gold) return 'gold: a writing project has no gold items (reviewers judge each writing)';
    } else if (isLabelingKind(taskKind)) {
      if (responses.length > 1) return `responses: a ${taskKind} project rates or labels the prompt or one response, so an item takes at most 1 response (got ${responses.length})`;
    } else if (responses.length < 2) return 'responses: needs at least 2 responses';
    if (taskKind === 'pairwise' && responses.length !== 2) return `responses: a pairwise project takes exactly 2 responses per item (got ${responses.length})`;
    let gold: unknown = null;
    if (it.gold) {
      const issues = preferenceIssues(it.gold.preference, { responses, prompt: it.prompt }, taskKind, 'gold.preference', rubric);
      if (issues.length) return describeIssues(issues);
      gold = { preference: canonicalPreference(it.gold.preference, { responses, prompt: it.prompt }) };
    }
    const row: ItemRow = { line: 0, externalId: it.externalId, prompt: it.prompt, context: it.context, responses, reference: it.reference ?? null, gold, metadata: it.metadata, annotations: [], problems: [] };
    if (format === 'label-studio') {
      const got = labelStudioAnnotations(value, responses.map((x) => x.id), taskKind, rubric);
      row.problems = got.problems;
      for (const a of got.judgments) {
        const j = ImportJudgmentSchema.safeParse({ externalId: it.externalId, annotator: a.annotator, judgment: a.judgment, submittedAt: a.submittedAt, timeSpentMs: a.timeSpentMs });
        if (!j.success) row.problems.push(`annotation ${a.ref}: ${describeIssues(issuesOf(j.error))}; not imported`);
        else row.annotations.push(judgmentRow(0, j.data));
      }
    }
    return row;
  }

  /** What a trainer judged: changing any of it would make the item's judgments refer to something else. */
  const JUDGED_FIELDS = ['prompt', 'context', 'responses', 'reference'] as const;

  const itemKey = (r: { prompt: string; context: unknown; responses: unknown; reference: unknown; gold: unknown; metadata: unknown }) =>
    stableJson({ prompt: r.prompt, context: r.context, responses: r.responses, reference: r.reference ?? null, gold: r.gold ?? null, metadata: r.metadata });

  /** Stores a batch of items; returns the external ids refused (their annotations are not imported). */
  async function flushItems(projectId: string, batch: ItemRow[], c: Counters, basePosition: number): Promise<Set<string>> {
    const refused = new Set<string>();
    if (!batch.length) return refused;
    const existing = await repo.itemsForReimport(projectId, batch.map((b) => b.externalId));
    const judged = await repo.judgedItemIds(existing.map((e) => e.id));
    const byId = new Map(existing.map((e) => [e.externalId, e]));
    const inserts: ItemRow[] = [];
    for (const row of batch) {
      const ex = byId.get(row.externalId);
      if (!ex) inserts.push(row);
      else if (itemKey(ex) === itemKey(row)) c.unchanged++;
      else {
        const changed = JUDGED_FIELDS.filter((f) => stableJson(ex[f] ?? null) !== stableJson(row[f] ?? null));
        const set = { prompt: row.prompt, context: row.context, responses: row.responses, reference: row.reference, gold: row.gold, isGold: row.gold !== null, metadata: row.metadata, updatedAt: new Date() };
        // What a trainer judges may change only while nobody judged or holds the item (checked again
        // under the item's lock); metadata and gold change freely.
        const refusal = changed.length === 0 ? (await repo.updateItem(ex.id, set), null) : (judged.get(ex.id) ?? (await repo.updateUnjudgedItem(ex.id, set)));
        if (refusal === null) c.updated++;
        else {
          const ids = (r: { responses: { id: string }[] }) => r.responses.map((x) => x.id).join(',');
          const what = changed.map((f) => (f === 'responses' && ids(ex) !== ids(row) ? 'response ids' : f)).join(', ');
          const lost = row.annotations.length ? `; its ${row.annotations.length} annotation${row.annotations.length === 1 ? ' was' : 's were'} not imported` : '';
          const why = refusal === 'judged' ? 'already has judgments' : 'is being judged now (a trainer holds it)';
          reject(c, row.line, `item ${row.externalId} ${why}, so its ${what} cannot change (the judgments refer to what was judged); to judge a new version, import it under a new external id${lost}`);
          refused.add(row.externalId);
        }
      }
    }
    if (!inserts.length) return refused;
    const values = inserts.map((r) => ({
      projectId,
      externalId: r.externalId,
      prompt: r.prompt,
      context: r.context,
      responses: r.responses,
      reference: r.reference,
      gold: r.gold,
      isGold: r.gold !== null,
      metadata: r.metadata,
      position: basePosition + r.line,
    }));
    try {
      const created = await repo.insertItems(values);
      c.created += created;
      c.unchanged += inserts.length - created;
    } catch (e) {
      // Should not happen (rows were validated); isolate the offending rows rather than lose the batch.
      logger.error('import batch insert failed; retrying row by row', { message: (e as Error).message });
      for (const [i, v] of values.entries()) {
        try {
          if (await repo.insertItems([v])) c.created++;
          else c.unchanged++;
        } catch (err) {
          reject(c, inserts[i]!.line, `could not be stored (${(err as Error).message.slice(0, 120)})`);
          refused.add(inserts[i]!.externalId);
        }
      }
    }
    return refused;
  }

  async function importItems(job: JobRow, taskKind: TaskKind, file: string, c: Counters, written: { judgments: number }, rubric: RubricRules | undefined, rules: RubricRules | null): Promise<string | null> {
    const base = ((await repo.maxPosition(job.projectId)) ?? 0) + 1;
    const firstLine = new Map<string, number>();
    // Label Studio annotations become judgments: counted apart from the items, rejections share the job's list.
    const jc: Counters = { bytesRead: 0, linesRead: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, errors: [] };
    const annotators = new Map<string, Resolved>();
    const extra: ImportExtra = { placeholders: 0, actorId: job.createdBy, jobId: job.id, rules };
    const firstJudgment = new Map<string, number>();
    const flush = async (rows: ItemRow[]) => {
      const refused = await flushItems(job.projectId, rows, c, base);
      const js: JudgmentRow[] = [];
      for (const r of rows) {
        if (refused.has(r.externalId)) continue;
        for (const j of r.annotations) {
          const key = `${j.externalId}|${j.annotator}`;
          const prev = firstJudgment.get(key);
          if (prev !== undefined) reject(c, j.line, `annotation by ${j.annotator}: repeats the judgment of ${j.annotator} on ${j.externalId} (first on line ${prev}); not imported`);
          else {
            firstJudgment.set(key, j.line);
            js.push(j);
          }
        }
      }
      await flushJudgments(job.projectId, taskKind, js, jc, annotators, extra, rubric);
      c.rejected += jc.rejected;
      for (const e of jc.errors) if (c.errors.length < IMPORT_LIMITS.maxErrorsKept) c.errors.push(e);
      jc.rejected = 0;
      jc.errors = [];
    };
    let batch: ItemRow[] = [];
    for await (const rec of records(job.format, file, c)) {
      c.linesRead++;
      // A Label Studio export may hold every task on one line: the message names the task too.
      const task = rec.element === undefined ? '' : `task ${rec.element}${taskIdOf('value' in rec ? rec.value : undefined)}: `;
      if ('error' in rec) {
        reject(c, rec.line, task + rec.error);
        continue;
      }
      const row = normaliseItem(job.format, rec.value, taskKind, rubric);
      if (typeof row === 'string') {
        reject(c, rec.line, task + row);
        continue;
      }
      row.line = rec.line;
      for (const a of row.annotations) a.line = rec.line;
      for (const why of row.problems) reject(c, rec.line, task + why);
      const prev = firstLine.get(row.externalId);
      if (prev !== undefined) {
        reject(c, rec.line, `repeats external id ${row.externalId} (first on line ${prev})${row.annotations.length ? `; its ${row.annotations.length} annotation(s) were not imported` : ''}`);
        continue;
      }
      firstLine.set(row.externalId, rec.line);
      batch.push(row);
      if (batch.length >= BATCH) {
        await flush(batch);
        batch = [];
        await saveProgress(job.id, c);
        if (closing) throw new Error('the server is shutting down');
      }
    }
    await flush(batch);
    written.judgments = jc.created + jc.updated;
    const total = jc.created + jc.updated + jc.unchanged;
    const notes: string[] = [];
    if (total) notes.push(`${total} annotation${total === 1 ? '' : 's'} imported as judgments: ${jc.created} new, ${jc.updated} updated, ${jc.unchanged} unchanged.`);
    if (extra.placeholders) notes.push(placeholderNote(extra.placeholders));
    return notes.length ? notes.join(' ') : null;
  }

  // ---- judgments

  interface JudgmentRow {
    line: number;
    externalId: string;
    annotator: string;
    annotatorKind: AnnotatorKind;
    payload: JudgmentPayload;
    submittedAt: Date;
    timeSpentMs: number | null;
  }

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  function judgmentRow(line: number, d: ImportJudgment): JudgmentRow {
    return {
      line,
      externalId: d.externalId,
      annotator: d.annotator,
      annotatorKind: d.annotatorKind,
      payload: d.judgment,
      submittedAt: d.submittedAt ? new Date(d.submittedAt) : new Date(),
      timeSpentMs: d.timeSpentMs ?? null,
    };
  }

  const placeholderNote = (n: number) => `${n} unknown annotator${n === 1 ? '' : 's'} added as inactive placeholder members.`;

  /** An annotator's user in this project (with the kind of their membership), or why the line cannot have one. */
  type Resolved = { userId: string; kind: AnnotatorKind } | { error: string };

  /**
   * Maps another tool's annotator to a user: a member of the project (by id or email), a placeholder
   * nobody can sign in as, or a new inactive placeholder member. An existing account that is not a
   * member (an admin, another project's trainer) is never enrolled by naming it.
   */
  async function resolveAnnotator(projectId: string, a: string, kind: AnnotatorKind, c: { placeholders: number }): Promise<Resolved> {
    let acc = UUID.test(a) ? await users.account({ id: a.toLowerCase() }) : null;
    const isEmail = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a);
    const email = isEmail
      ? a.toLowerCase()
      : `annotator-${a.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 40)}-${createHash('sha256').update(a).digest('hex').slice(0, 8)}@placeholder.invalid`;
    acc ??= await users.account({ email });
    if (acc) {
      const m = await members.member(projectId, acc.id);
      if (m) return { userId: acc.id, kind: m.kind };
      if (!acc.placeholder)
        return { error: `annotator ${a}: names an existing user who is not a member of this project; imports never enrol existing users (add them as a member first, or name the annotator differently for a new placeholder)` };
      await members.ensureMember(projectId, acc.id, 'trainer', kind);
      return { userId: acc.id, kind };
    }
    const p = await users.createPlaceholder(email, isEmail ? email.split('@')[0]! : `${kind === 'model' ? 'Model' : 'Annotator'} ${a}`.slice(0, 200));
    if (p.created) c.placeholders++;
    await members.ensureMember(projectId, p.id, 'trainer', kind);
    return { userId: p.id, kind };
  }

  async function flushJudgments(projectId: string, taskKind: TaskKind, batch: JudgmentRow[], c: Counters, cache: Map<string, Resolved>, extra: ImportExtra, rubric?: RubricRules) {
    if (!batch.length) return;
    const its = await repo.itemsByExternalId(projectId, [...new Set(batch.map((b) => b.externalId))]);
    const byExt = new Map(its.map((i) => [i.externalId, i]));
    const ok: (JudgmentRow & { itemId: string; userId: string; payload: JudgmentPayload })[] = [];
    for (const row of batch) {
      const item = byExt.get(row.externalId);
      if (!item) {
        reject(c, row.line, `no item with external id ${row.externalId} in this project (import the items first)`);
        continue;
      }
      // Another tool names a flag by what it shows (Label Studio's choice "Needs expert"): the rubric's
      // flag of that id or name, stored by its id.
      row.payload.flags = row.payload.flags.map((f) => flagId(f, extra.rules));
      // Scores and flags as a submit takes them (some scores may be missing: another tool's data).
      const issues = [
        ...preferenceIssues(row.payload.preference, item, taskKind, 'judgment.preference', rubric),
        ...scoreIssues(row.payload.scores, item, taskKind, extra.rules, 'judgment', false),
        ...flagIssues(row.payload.flags, extra.rules, 'judgment'),
      ];
      row.payload.spans.forEach((s, i) => {
        const content = item.responses.find((r) => r.id === s.responseId)?.content;
        if (content === undefined) issues.push({ path: `judgment.spans.${i}.responseId`, message: 'is not a response of this item' });
        else if (s.end > content.length || s.start >= s.end) issues.push({ path: `judgment.spans.${i}.end`, message: 'is outside the response text' });
      });
      if (issues.length) {
        reject(c, row.line, describeIssues(issues));
        continue;
      }
      let who = cache.get(row.annotator);
      if (!who) {
        who = await resolveAnnotator(projectId, row.annotator, row.annotatorKind, extra);
        cache.set(row.annotator, who);
      }
      if ('error' in who) {
        reject(c, row.line, who.error);
        continue;
      }
      if (who.kind !== row.annotatorKind) {
        reject(c, row.line, `annotator ${row.annotator}: is a ${who.kind} annotator of this project, so annotatorKind ${row.annotatorKind} does not match`);
        continue;
      }
      ok.push({ ...row, itemId: item.id, userId: who.userId, payload: canonicalPayload(row.payload, item) });
    }
    if (!ok.length) return;
    const existing = await repo.judgmentsOf([...new Set(ok.map((r) => r.itemId))], [...new Set(ok.map((r) => r.userId))]);
    const ex = new Map(existing.map((e) => [`${e.itemId}|${e.userId}`, e]));
    const inserts: typeof ok = [];
    const changed = new Set<string>();
    for (const r of ok) {
      const e = ex.get(`${r.itemId}|${r.userId}`);
      if (!e) inserts.push(r);
      else if (e.source !== 'import') reject(c, r.line, `annotator ${r.annotator} already judged item ${r.externalId} in Accord`);
      else if (stableJson(e.payload) === stableJson(r.payload)) c.unchanged++;
      else {
        await repo.updateJudgment(e.id, { payload: r.payload, updatedAt: new Date(), submittedAt: r.submittedAt, timeSpentMs: r.timeSpentMs });
        if (r.annotatorKind === 'human') changed.add(r.itemId);
        c.updated++;
      }
    }
    for (const r of inserts) if (r.annotatorKind === 'human') changed.add(r.itemId);
    // A label computed (or decided) on the people's judgments as they were no longer says what they
    // say (a model's judgments are not part of a consensus).
    if (changed.size && onJudgmentsChanged) await onJudgmentsChanged(projectId, [...changed], extra.actorId, `Judgments of this item changed by import ${extra.jobId}.`);
    if (!inserts.length) return;
    const created = await repo.insertJudgments(
        inserts.map((r) => ({
          projectId,
          itemId: r.itemId,
          userId: r.userId,
          status: 'submitted' as const,
          source: 'import' as const,
          rubricVersion: null,
          payload: r.payload,
          timeSpentMs: r.timeSpentMs,
          submittedAt: r.submittedAt,
        })),
    );
    c.created += created;
    c.unchanged += inserts.length - created;
  }

  async function importJudgments(job: JobRow, taskKind: TaskKind, file: string, c: Counters, rubric: RubricRules | undefined, rules: RubricRules | null): Promise<string | null> {
    if (job.format !== 'jsonl') throw new AppError('validation_failed', 'Judgments are imported from JSONL only.');
    const cache = new Map<string, Resolved>();
    const extra: ImportExtra = { placeholders: 0, actorId: job.createdBy, jobId: job.id, rules };
    const first = new Map<string, number>();
    let batch: JudgmentRow[] = [];
    for await (const rec of records('jsonl', file, c)) {
      c.linesRead++;
      if ('error' in rec) {
        reject(c, rec.line, rec.error);
        continue;
      }
      const r = ImportJudgmentSchema.safeParse(rec.value);
      if (!r.success) {
        reject(c, rec.line, describeIssues(issuesOf(r.error)));
        continue;
      }
      const key = `${r.data.externalId}|${r.data.annotator}`;
      if (first.has(key)) {
        reject(c, rec.line, `repeats the judgment of ${r.data.annotator} on ${r.data.externalId} (first on line ${first.get(key)})`);
        continue;
      }
      first.set(key, rec.line);
      batch.push(judgmentRow(rec.line, r.data));
      if (batch.length >= BATCH) {
        await flushJudgments(job.projectId, taskKind, batch, c, cache, extra, rubric);
        batch = [];
        await saveProgress(job.id, c);
        if (closing) throw new Error('the server is shutting down');
      }
    }
    await flushJudgments(job.projectId, taskKind, batch, c, cache, extra, rubric);
    return extra.placeholders ? placeholderNote(extra.placeholders) : null;
  }

  async function run(job: JobRow, taskKind: TaskKind, dir: string, file: string) {
    const c: Counters = { bytesRead: 0, linesRead: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, errors: [] };
    try {
      // Ratings and labels are checked against the newest published scale or taxonomy (none yet: not
      // checked); scores and flags against its dimensions and flags, in every kind (none: none taken).
      const latest = await rubrics?.latestContent(job.projectId);
      const parsed = latest ? RubricSchema.safeParse(latest.content) : null;
      const rules = parsed?.success ? parsed.data : null;
      const rubric = isLabelingKind(taskKind) ? (rules ?? undefined) : undefined;
      const written = { judgments: 0 };
      const note = job.kind === 'items' ? await importItems(job, taskKind, file, c, written, rubric, rules) : await importJudgments(job, taskKind, file, c, rubric, rules);
      if (afterBulkWrite) {
        // The statistics first: the consensus below and the first requests after the job are planned on them.
        if (job.kind === 'items' && c.created + c.updated > 0) await afterBulkWrite('items', c.created + c.updated);
        const judgments = job.kind === 'judgments' ? c.created + c.updated : written.judgments;
        if (judgments > 0) await afterBulkWrite('judgments', judgments);
      }
      if (onJudgments && (job.kind === 'judgments' || c.created + c.updated > 0)) {
        // Failure here loses nothing: the items stay queued for the consensus sweep.
        await onJudgments(job.projectId).catch((e: unknown) => logger.error('consensus after import failed', { jobId: job.id, message: (e as Error).message }));
      }
      await saveProgress(job.id, c, { status: 'done', message: note });
      await repo.audit({
        actorId: job.createdBy,
        action: `import.${job.kind}`,
        projectId: job.projectId,
        target: job.id,
        details: { fileName: job.fileName, created: c.created, updated: c.updated, unchanged: c.unchanged, rejected: c.rejected },
      });
    } catch (e) {
      const message = e instanceof AppError ? e.message : `The import stopped: ${(e as Error).message}`;
      if (!(e instanceof AppError)) logger.error('import failed', { jobId: job.id, message: (e as Error).message });
      await saveProgress(job.id, c, { status: 'failed', message }).catch(() => {});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    maxBytes,

    /** At start-up: fails jobs interrupted by a stop, then keeps this process's jobs alive and watches for other processes' interrupted ones. */
    async init(): Promise<number> {
      const n = await failInterrupted();
      let ticks = 0;
      timer ??= setInterval(() => {
        const sweep = ++ticks % Math.round(IMPORT_STALE_MS / IMPORT_HEARTBEAT_MS) === 0;
        beat()
          .then(() => (sweep ? failInterrupted() : 0))
          .catch((e: unknown) => logger.error('import heartbeat failed', { message: (e as Error).message }));
      }, IMPORT_HEARTBEAT_MS);
      timer.unref();
      return n;
    },

    /** Receives the file, creates the job and starts processing it; returns the new job at once. */
    async start(actorId: string, projectId: string, taskKind: TaskKind, q: ImportQuery, body: ReadableStream<Uint8Array> | null, declaredLength: number | null): Promise<ImportJob> {
      if (closing) throw new AppError('unavailable', 'The server is shutting down.');
      if (q.kind === 'judgments' && q.format !== 'jsonl')
        throw new AppError('validation_failed', 'query.format: judgments are imported from JSONL only', [{ path: 'query.format', message: 'must be jsonl for judgments' }]);
      const up = await receive(body, declaredLength);
      let job: JobRow;
      try {
        job = await repo.insertJob({ id: randomUUID(), projectId, kind: q.kind, format: q.format, fileName: q.fileName, bytesTotal: up.size, createdBy: actorId });
      } catch (e) {
        await rm(up.dir, { recursive: true, force: true });
        throw e;
      }
      const p = run(job, taskKind, up.dir, up.file).finally(() => running.delete(job.id));
      running.set(job.id, p);
      return toImportJob(job);
    },

    async get(projectId: string, jobId: string): Promise<ImportJob> {
      const j = await repo.job(projectId, jobId);
      if (!j) throw new AppError('not_found', 'No such import job in this project.');
      return toImportJob(j);
    },

    async list(projectId: string, limit: number): Promise<ImportJob[]> {
      return (await repo.jobs(projectId, limit)).map(toImportJob);
    },

    /** Resolves when every running import has finished (tests, shutdown). */
    async idle() {
      while (running.size) await Promise.allSettled([...running.values()]);
    },

    /** Stops taking imports; running ones stop after their current batch and are marked failed. */
    async close() {
      closing = true;
      await this.idle();
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}

export type ImportService = ReturnType<typeof createImportService>;
