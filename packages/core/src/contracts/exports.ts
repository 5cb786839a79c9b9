/**
 * Exports: a project's consensus labels as training data (TRL's DPO preference format, reward-model
 * rankings, SFT), the consensus scores, labels and raw judgments, and the quality feature's
 * leaderboard and agreement report — as JSONL, CSV or Parquet, streamed from the database.
 *
 * Conventions:
 * - filters select current consensus labels (`method`, `minAgreement`, `rubricVersion`, `from`/`to`
 *   on the commit time); every kind's rows come from the selected labels, in item external-id order;
 * - every item row carries its provenance: `externalId`, `method`, `agreement`, `rubricVersion`,
 *   `judgments` (how many the label was made from) and `committedAt`;
 * - a project with any conversational item (context turns) exports every prompt as a message list
 *   (`[{ role, content }]`), otherwise prompts are strings: one file is one TRL dataset format.
 */
import { z } from 'zod';
import { IdSchema } from '../schemas/common.ts';
import { defineContracts } from './contract.ts';

export const EXPORT_KINDS = ['dpo', 'rm', 'sft', 'scores', 'judgments', 'consensus', 'leaderboard', 'agreement', 'spans', 'bio', 'redteam'] as const;
export const ExportKindSchema = z.enum(EXPORT_KINDS);
export type ExportKind = z.infer<typeof ExportKindSchema>;

export const EXPORT_FORMATS = ['jsonl', 'csv', 'parquet'] as const;
export const ExportFormatSchema = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;

/** The method filter's names: `statistical` is Dawid–Skene or Bradley–Terry. */
export const EXPORT_METHODS = ['unanimous', 'majority', 'statistical', 'dawid-skene', 'bradley-terry', 'adjudicated'] as const;
export const ExportMethodSchema = z.enum(EXPORT_METHODS);
export type ExportMethod = z.infer<typeof ExportMethodSchema>;

/** What each kind holds, for the OpenAPI document and the web page. */
export const EXPORT_KIND_TEXT: Record<ExportKind, string> = {
  dpo: "DPO pairs in TRL's preference format (`prompt`, `chosen`, `rejected`): one row per pair the consensus orders, ties excluded",
  rm: 'Reward-model rankings: the prompt and every response best first, with its rank and tie group (items the consensus leaves all tied are left out)',
  sft: 'SFT: the conversation ending with the best response (`messages`), for items whose consensus has one best response',
  scores: 'Per-dimension consensus scores: one row per score (dimension, response, value)',
  judgments: 'Raw submitted judgments: annotator (id, name, human or model), payload, times; with a filter, only items whose label it selects',
  consensus: 'Consensus labels (preference, scores, spans) with provenance',
  leaderboard: "The models' Bradley–Terry strengths, as the quality leaderboard computes them",
  agreement: 'The agreement report (overall, per dimension, per rubric version, per week), as the quality feature computes it',
  spans: "Entity spans (spans projects): the item's text and its consensus spans as character offsets (start, end exclusive, UTF-16) with their type and text",
  bio: 'Entity spans as BIO tags (spans projects): the text split into tokens (runs of letters and digits, or one punctuation character; whitespace separates) with B-/I-/O tags, one row per item',
  redteam:
    "A red-team dataset: one row per submitted attack (goal, turns, the model's response, the endpoint and model it came from or 'pasted', failure categories, severity, success), with reviewers' confirmations and provenance",
};

/** A date (a whole day, UTC) or a date-time with offset. */
const DateBound = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], { message: 'must be a date (YYYY-MM-DD) or an ISO date-time with offset' })
  // Year 0000 parses in JavaScript but PostgreSQL has no year 0 (1 BC is year -1 there).
  .refine((v) => !v.startsWith('0000'), { message: 'must be a date from year 0001 on' });

export const ExportParamsSchema = z.object({ projectId: IdSchema, kind: ExportKindSchema });

export const ExportQuerySchema = z
  .strictObject({
    format: ExportFormatSchema.default('jsonl').meta({ description: 'File format: `jsonl` (one JSON object a line), `csv` (RFC 4180, header row, formula cells escaped) or `parquet`.' }),
    method: z
      .string()
      .max(200)
      .optional()
      .meta({
        description:
          'Consensus methods to include, comma-separated (the parameter may also repeat): `unanimous`, `majority`, `statistical` (Dawid–Skene or Bradley–Terry), `dawid-skene`, `bradley-terry`, `adjudicated`. Default: all.',
      }),
    minAgreement: z.coerce.number().min(0).max(1).optional().meta({ description: "Only labels whose agreement is at least this (0–1); labels without an agreement figure are left out." }),
    rubricVersion: z.coerce.number().int().min(0).max(1_000_000).optional().meta({ description: 'Only labels validated against this rubric version.' }),
    from: DateBound.optional().meta({ description: 'Only labels committed at or after this date (YYYY-MM-DD, UTC) or date-time.' }),
    to: DateBound.optional().meta({ description: 'Only labels committed up to this date (inclusive, the whole day UTC) or date-time (inclusive).' }),
  })
  .meta({ description: 'The export format and the filters on consensus labels.' });
export type ExportQuery = z.infer<typeof ExportQuerySchema>;

/** The count query: the filters, without the format. */
export const ExportCountQuerySchema = ExportQuerySchema.omit({ format: true });
export type ExportCountQuery = z.infer<typeof ExportCountQuerySchema>;

export const ExportCountSchema = z.object({
  kind: ExportKindSchema,
  /** Rows the export of this kind with these filters writes (for progress while downloading). */
  rows: z.number().int(),
  /** Current consensus labels the filters select (null for the leaderboard and the agreement report). */
  labels: z.number().int().nullable(),
  /** The file's columns, in order. */
  columns: z.array(z.string()),
});
export type ExportCount = z.infer<typeof ExportCountSchema>;

/** The media type of each format. */
export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  parquet: 'application/vnd.apache.parquet',
};

export const EXPORT_ROWS_HEADER = 'X-Export-Rows';

export const exportsContracts = defineContracts('exports', {
  download: {
    method: 'get',
    path: '/api/projects/:projectId/exports/:kind',
    tag: 'exports',
    summary: 'Download training data or a report as JSONL, CSV or Parquet, streamed (lead)',
    description: [
      'Kinds:',
      ...EXPORT_KINDS.map((k) => `- \`${k}\`: ${EXPORT_KIND_TEXT[k]}.`),
      '',
      'The file is streamed from the database in batches; `Content-Disposition: attachment` names it, and the header `X-Export-Rows` gives the rows it will hold (as `…/count` does), so a client can show progress. The filters do not apply to `leaderboard`, `agreement` and `redteam` (400 when given). Each download is written to the audit log.',
    ].join('\n'),
    access: { project: ['lead'] },
    params: ExportParamsSchema,
    query: ExportQuerySchema,
    response: z.string().meta({ description: 'The file.' }),
    download: { mediaTypes: Object.values(EXPORT_MEDIA_TYPES) },
  },
  count: {
    method: 'get',
    path: '/api/projects/:projectId/exports/:kind/count',
    tag: 'exports',
    summary: 'How many rows an export of this kind with these filters holds, and its columns (lead)',
    access: { project: ['lead'] },
    params: ExportParamsSchema,
    query: ExportCountQuerySchema,
    response: ExportCountSchema,
  },
});
