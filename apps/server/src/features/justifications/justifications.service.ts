/**
 * Justification quality on the server: the checks of core (stance, lowest dimensions, pasting) plus
 * the one only the server can make — whether the text is a near-copy of another justification in
 * the project (MinHash signatures, candidates found through LSH bands, never a scan of the project).
 * The judging feature calls `check` before storing a submission and stores `row` with the judgment,
 * in the same statement (`record` stores it on its own); what blocks a
 * submit is the project's choice (`settings.justificationChecks.block`). A near-copy finding never
 * says whose text or which: trainers stay blind to each other's work.
 */
import {
  AppError,
  bandKeys,
  comparable,
  JUSTIFICATION_CHECKS,
  localFindings,
  minhash,
  nearCopyFinding,
  similarity,
  type FieldIssue,
  type JustificationChecksSettings,
  type JustificationFinding,
  type JustificationInput,
  type JustificationReport,
  type JustificationTyping,
} from '@accord/core';
import type { JustificationsRepo, StoredCheck } from './justifications.repo.ts';

export interface Checked {
  findings: JustificationFinding[];
  /** Signed 32-bit MinHash values of the text, or null when it is too short to compare. */
  signature: number[] | null;
  bandKeys: number[];
}

const signed = (sig: number[]) => sig.map((v) => v | 0);

/** A comparable text's signature (signed 32-bit MinHash values) and LSH band keys. */
export interface NearCopyLookup {
  text: string;
  signature: number[];
  bandKeys: number[];
}

function nearCopyLookup(text: string): NearCopyLookup | null {
  const sig = comparable(text) ? minhash(text) : null;
  if (!sig) return null;
  return { text, signature: signed(sig), bandKeys: bandKeys(sig) };
}

/** The findings of a justification, given the signatures of its near-copy candidates. */
function checkedWith(settings: JustificationChecksSettings, input: JustificationInput, near: NearCopyLookup | null, candidates: number[][]): Checked {
  const findings = localFindings(input, settings);
  if (!near) return { findings, signature: null, bandKeys: [] };
  const best = candidates.reduce((m, o) => Math.max(m, similarity(near.signature, o)), 0);
  if (best >= settings.nearCopyThreshold) findings.push(nearCopyFinding(settings));
  return { findings, signature: near.signature, bandKeys: near.bandKeys };
}

/**
 * The findings of a justification on candidates already read with `candidatesColumn` for `near`
 * (judging reads them with the assignment, in one round trip); null when `near` is not the lookup of
 * this justification, or its candidates were not read (then `check` it).
 */
const checkRead = (settings: JustificationChecksSettings, input: JustificationInput, near: NearCopyLookup | null, candidates: number[][] | null): Checked | null =>
  (near ? near.text === input.justification && candidates !== null : nearCopyLookup(input.justification) === null) ? checkedWith(settings, input, near, candidates ?? []) : null;

export function createJustificationService(repo: JustificationsRepo) {
  /** Every finding of a justification; `exceptJudgmentId` is left out of the near-copy comparison. */
  const check = async (projectId: string, settings: JustificationChecksSettings, input: JustificationInput, exceptJudgmentId: string | null = null): Promise<Checked> => {
    const near = nearCopyLookup(input.justification);
    return checkedWith(settings, input, near, near ? await repo.candidates(projectId, near.bandKeys, exceptJudgmentId) : []);
  };
  return {
    check,

    /**
     * What the near-copy lookup of a text needs (null: too short to compare), for a caller that reads
     * the candidates in a statement of its own (`candidatesColumn`) and then calls `checkAfterRead`.
     */
    nearCopyLookup,

    checkRead,

    /** `checkRead` where it applies, else `check` (which reads the candidates itself): what a caller that read them uses. */
    checkAfterRead: async (projectId: string, settings: JustificationChecksSettings, input: JustificationInput, near: NearCopyLookup | null, candidates: number[][] | null): Promise<Checked> =>
      checkRead(settings, input, near, candidates) ?? (await check(projectId, settings, input)),

    /** The refusal of a submit with blocking findings (one sentence each), or null. */
    refusal(checked: Checked): AppError | null {
      const blocking = checked.findings.filter((f) => f.blocks);
      if (!blocking.length) return null;
      const details: FieldIssue[] = blocking.map((f) => ({ path: 'body.payload.justification', message: f.message }));
      return new AppError('validation_failed', `This project does not accept the justification as it is. ${blocking.map((f) => f.message).join(' ')}`, details);
    },

    /** The row a submitted judgment's checks are stored as (the judging feature writes it with the judgment, in one statement). */
    row(checked: Checked, typing: JustificationTyping | undefined): Omit<StoredCheck, 'judgmentId' | 'projectId' | 'userId'> {
      return { findings: checked.findings, signature: checked.signature, bandKeys: checked.bandKeys, typedChars: typing?.typedChars ?? null, pastedChars: typing?.pastedChars ?? null };
    },

    /** Stores a submitted judgment's findings and signature (once; a repeat changes nothing). */
    async record(j: { id: string; projectId: string; userId: string }, checked: Checked, typing: JustificationTyping | undefined): Promise<void> {
      await repo.store({
        judgmentId: j.id,
        projectId: j.projectId,
        userId: j.userId,
        findings: checked.findings,
        signature: checked.signature,
        bandKeys: checked.bandKeys,
        typedChars: typing?.typedChars ?? null,
        pastedChars: typing?.pastedChars ?? null,
      });
    },

    /** Per trainer and for the project: judgments checked, and each finding's count and share of them. */
    async report(projectId: string, settings: JustificationChecksSettings): Promise<JustificationReport> {
      const rows = await repo.counts(projectId, JUSTIFICATION_CHECKS);
      const rates = (counts: Record<string, number>, n: number) =>
        Object.fromEntries(JUSTIFICATION_CHECKS.map((k) => [k, { count: counts[k] ?? 0, rate: n ? (counts[k] ?? 0) / n : null }])) as JustificationReport['totals']['findings'];
      const total: Record<string, number> = {};
      let checked = 0;
      for (const r of rows) {
        checked += r.checked;
        for (const k of JUSTIFICATION_CHECKS) total[k] = (total[k] ?? 0) + (r.counts[k] ?? 0);
      }
      return {
        totals: { checked, findings: rates(total, checked) },
        trainers: rows.map((r) => ({ userId: r.userId, name: r.name, email: r.email, checked: r.checked, findings: rates(r.counts, r.checked) })),
        block: settings.block,
      };
    },
  };
}

export type JustificationService = ReturnType<typeof createJustificationService>;
