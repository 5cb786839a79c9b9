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
  ImportItemSchema,
  ImportJudgmentSchema,
  describeIssues,
  issuesOf,
  type ImportJob,
  type ImportQuery,
  type JudgmentPayload,
  type TaskKind,
} from '@accord/core';
import type { StoredResponse } from '@accord/db';
import type { Logger } from '../../platform/logger.ts';
import { stableJson } from '../../platform/stable-json.ts';
import { csvToItem, labelStudioToItem } from './import-formats.ts';
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
    idById(id: string): Promise<string | null>;
    idByEmail(email: string): Promise<string | null>;
    createPlaceholder(email: string, name: string): Promise<{ id: string; created: boolean }>;
  };
  /** From the projects feature: annotators join the project as trainers. */
  members: { ensureMember(projectId: string, userId: string, role: 'trainer'): Promise<void> };
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

export function createImportService({ repo, logger, maxBytes, users, members }: ImportServiceOptions) {
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
  }

  function normaliseItem(format: ImportQuery['format'], value: unknown, taskKind: TaskKind): ItemRow | string {
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
    if (taskKind === 'pairwise' && responses.length !== 2) return `responses: a pairwise project takes exactly 2 responses per item (got ${responses.length})`;
    let gold: unknown = null;
    if (it.gold) {
      const issues = preferenceIssues(it.gold.preference, { responses }, taskKind, 'gold.preference');
      if (issues.length) return describeIssues(issues);
      gold = { preference: canonicalPreference(it.gold.preference, { responses }) };
    }
    return { line: 0, externalId: it.externalId, prompt: it.prompt, context: it.context, responses, reference: it.reference ?? null, gold, metadata: it.metadata };
  }

  const itemKey = (r: { prompt: string; context: unknown; responses: unknown; reference: unknown; gold: unknown; metadata: unknown }) =>
    stableJson({ prompt: r.prompt, context: r.context, responses: r.responses, reference: r.reference ?? null, gold: r.gold ?? null, metadata: r.metadata });

  async function flushItems(projectId: string, batch: ItemRow[], c: Counters, basePosition: number) {
    if (!batch.length) return;
    const existing = await repo.itemsForReimport(projectId, batch.map((b) => b.externalId));
    const byId = new Map(existing.map((e) => [e.externalId, e]));
    const inserts: ItemRow[] = [];
    for (const row of batch) {
      const ex = byId.get(row.externalId);
      if (!ex) inserts.push(row);
      else if (itemKey(ex) === itemKey(row)) c.unchanged++;
      else if (ex.judged) reject(c, row.line, `item ${row.externalId} already has judgments, so its content cannot change`);
      else {
        await repo.updateItem(ex.id, { prompt: row.prompt, context: row.context, responses: row.responses, reference: row.reference, gold: row.gold, isGold: row.gold !== null, metadata: row.metadata, updatedAt: new Date() });
        c.updated++;
      }
    }
    if (!inserts.length) return;
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
        }
      }
    }
  }

  async function importItems(job: JobRow, taskKind: TaskKind, file: string, c: Counters) {
    const base = ((await repo.maxPosition(job.projectId)) ?? 0) + 1;
    const firstLine = new Map<string, number>();
    let batch: ItemRow[] = [];
    for await (const rec of records(job.format, file, c)) {
      c.linesRead++;
      if ('error' in rec) {
        reject(c, rec.line, rec.error);
        continue;
      }
      const row = normaliseItem(job.format, rec.value, taskKind);
      if (typeof row === 'string') {
        reject(c, rec.line, row);
        continue;
      }
      row.line = rec.line;
      const prev = firstLine.get(row.externalId);
      if (prev !== undefined) {
        reject(c, rec.line, `repeats external id ${row.externalId} (first on line ${prev})`);
        continue;
      }
      firstLine.set(row.externalId, rec.line);
      batch.push(row);
      if (batch.length >= BATCH) {
        await flushItems(job.projectId, batch, c, base);
        batch = [];
        await saveProgress(job.id, c);
        if (closing) throw new Error('the server is shutting down');
      }
    }
    await flushItems(job.projectId, batch, c, base);
  }

  // ---- judgments

  interface JudgmentRow {
    line: number;
    externalId: string;
    annotator: string;
    payload: JudgmentPayload;
    submittedAt: Date;
    timeSpentMs: number | null;
  }

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  /** Maps another tool's annotator to a user: by id, by email, else an inactive placeholder member. */
  async function resolveAnnotators(projectId: string, names: string[], cache: Map<string, string>, c: { placeholders: number }) {
    for (const a of names) {
      if (cache.has(a)) continue;
      let userId: string | null = null;
      if (UUID.test(a)) userId = await users.idById(a);
      const isEmail = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a);
      const email = isEmail
        ? a.toLowerCase()
        : `annotator-${a.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 40)}-${createHash('sha256').update(a).digest('hex').slice(0, 8)}@placeholder.invalid`;
      userId ??= await users.idByEmail(email);
      if (!userId) {
        const p = await users.createPlaceholder(email, isEmail ? email.split('@')[0]! : `Annotator ${a}`.slice(0, 200));
        if (p.created) c.placeholders++;
        userId = p.id;
      }
      await members.ensureMember(projectId, userId, 'trainer');
      cache.set(a, userId);
    }
  }

  async function flushJudgments(projectId: string, taskKind: TaskKind, batch: JudgmentRow[], c: Counters, cache: Map<string, string>, extra: { placeholders: number }) {
    if (!batch.length) return;
    const its = await repo.itemsByExternalId(projectId, [...new Set(batch.map((b) => b.externalId))]);
    const byExt = new Map(its.map((i) => [i.externalId, i]));
    const ok: (JudgmentRow & { itemId: string; userId: string; payload: JudgmentPayload })[] = [];
    const needed: string[] = [];
    for (const row of batch) {
      const item = byExt.get(row.externalId);
      if (!item) {
        reject(c, row.line, `no item with external id ${row.externalId} in this project (import the items first)`);
        continue;
      }
      const issues = preferenceIssues(row.payload.preference, item, taskKind, 'judgment.preference');
      row.payload.spans.forEach((s, i) => {
        const content = item.responses.find((r) => r.id === s.responseId)?.content;
        if (content === undefined) issues.push({ path: `judgment.spans.${i}.responseId`, message: 'is not a response of this item' });
        else if (s.end > content.length || s.start >= s.end) issues.push({ path: `judgment.spans.${i}.end`, message: 'is outside the response text' });
      });
      if (issues.length) {
        reject(c, row.line, describeIssues(issues));
        continue;
      }
      needed.push(row.annotator);
      ok.push({ ...row, itemId: item.id, userId: '', payload: canonicalPayload(row.payload, item) });
    }
    await resolveAnnotators(projectId, [...new Set(needed)], cache, extra);
    for (const r of ok) r.userId = cache.get(r.annotator)!;
    if (!ok.length) return;
    const existing = await repo.judgmentsOf([...new Set(ok.map((r) => r.itemId))], [...new Set(ok.map((r) => r.userId))]);
    const ex = new Map(existing.map((e) => [`${e.itemId}|${e.userId}`, e]));
    const inserts: typeof ok = [];
    for (const r of ok) {
      const e = ex.get(`${r.itemId}|${r.userId}`);
      if (!e) inserts.push(r);
      else if (e.source !== 'import') reject(c, r.line, `annotator ${r.annotator} already judged item ${r.externalId} in Accord`);
      else if (stableJson(e.payload) === stableJson(r.payload)) c.unchanged++;
      else {
        await repo.updateJudgment(e.id, { payload: r.payload, updatedAt: new Date(), submittedAt: r.submittedAt, timeSpentMs: r.timeSpentMs });
        c.updated++;
      }
    }
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

  async function importJudgments(job: JobRow, taskKind: TaskKind, file: string, c: Counters): Promise<string | null> {
    if (job.format !== 'jsonl') throw new AppError('validation_failed', 'Judgments are imported from JSONL only.');
    const cache = new Map<string, string>();
    const extra = { placeholders: 0 };
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
      batch.push({
        line: rec.line,
        externalId: r.data.externalId,
        annotator: r.data.annotator,
        payload: r.data.judgment,
        submittedAt: r.data.submittedAt ? new Date(r.data.submittedAt) : new Date(),
        timeSpentMs: r.data.timeSpentMs ?? null,
      });
      if (batch.length >= BATCH) {
        await flushJudgments(job.projectId, taskKind, batch, c, cache, extra);
        batch = [];
        await saveProgress(job.id, c);
        if (closing) throw new Error('the server is shutting down');
      }
    }
    await flushJudgments(job.projectId, taskKind, batch, c, cache, extra);
    return extra.placeholders ? `${extra.placeholders} unknown annotator${extra.placeholders === 1 ? '' : 's'} added as inactive placeholder members.` : null;
  }

  async function run(job: JobRow, taskKind: TaskKind, dir: string, file: string) {
    const c: Counters = { bytesRead: 0, linesRead: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, errors: [] };
    try {
      const note = job.kind === 'items' ? (await importItems(job, taskKind, file, c), null) : await importJudgments(job, taskKind, file, c);
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
