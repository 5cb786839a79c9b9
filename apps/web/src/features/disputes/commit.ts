/**
 * Committing a dispute with an `Idempotency-Key` (the generated client sends no custom headers): the
 * same key is sent again when the connection drops, so a retry answers the one label (200) rather
 * than committing twice; the answer is read with the contract as the client reads it.
 */
import { readAnswer, urlOf } from '@accord/client';
import { contracts, judgmentIssueSentences, type CommitResult, type FieldIssue, type JudgmentPayload } from '@accord/core';
import { ApiError, hooks } from '../../lib/api/index.ts';
import { OFFLINE_MESSAGE, readableError } from '../../lib/api/errors.ts';

export async function commitDispute(projectId: string, disputeId: string, key: string, attempts = 3): Promise<CommitResult> {
  const c = contracts.disputes.commit;
  const url = urlOf(c, { params: { projectId, disputeId } });
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json', 'idempotency-key': key } });
    } catch {
      if (attempt + 1 < attempts) {
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
        continue;
      }
      throw new ApiError(0, 'network_error', OFFLINE_MESSAGE);
    }
    try {
      return readAnswer(c, { status: res.status, text: await res.text(), header: (name) => res.headers.get(name) });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) hooks.onUnauthenticated?.();
      throw readableError(e);
    }
  }
}

/** A refused commit in words: the proposal's problems as sentences ("Score for Helpfulness on response A: …"). */
export function describeCommitError(e: unknown, payload: Partial<Pick<JudgmentPayload, 'scores' | 'spans'>>, names: { dimension: (id: string) => string; response: (id: string) => string }, fallback: string): string {
  const err = e as { code?: string; details?: FieldIssue[] } | null;
  if (err?.code !== 'validation_failed' || !err.details?.length) return fallback;
  const issues = err.details.map((d) => ({ ...d, path: d.path.replace(/^doc\.proposal\.?/, 'payload.') }));
  return `The proposal cannot be committed yet. ${judgmentIssueSentences(issues, payload, names, 4)}`;
}
