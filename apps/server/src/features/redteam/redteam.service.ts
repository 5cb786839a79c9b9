/**
 * Red teaming: admins register models under test; a lead picks one for a project (project setting
 * `modelEndpointId`); a trainer sends an attack's conversation to it through the server (only a
 * registered endpoint is ever called, rate-limited per user, every call recorded); a submitted
 * attack whose response came from the model is checked against its recorded call; reviewers
 * confirm or dispute submitted attacks.
 */
import { cohenKappa } from '@accord/metrics';
import {
  AppError,
  type CreateModelEndpointBody,
  type FieldIssue,
  type ModelEndpoint,
  type ModelEndpointChoice,
  type Preference,
  type RedteamReview,
  type RedteamReviewBody,
  type RedteamReviewsQuery,
  type RedteamReviewSummary,
  type RedteamSendBody,
  type RedteamSendResult,
  type RedteamTarget,
  type UpdateModelEndpointBody,
} from '@accord/core';
import type { ProjectAccess } from '../../platform/http/context.ts';
import type { RateLimiter } from '../../platform/rate-limit.ts';
import type { Logger } from '../../platform/logger.ts';
import { callChat } from './redteam.client.ts';
import type { EndpointRow, RedteamRepo } from './redteam.repo.ts';

export interface RedteamServiceDeps {
  repo: RedteamRepo;
  /** Counts calls per user in the database (a one-minute window), so every node enforces one limit. */
  limiter: RateLimiter;
  callsPerMinute: number;
  maxResponseBytes: number;
  /** The project's settings as the judging feature reads them. */
  settings(project: { settings: unknown }): { modelEndpointId: string | null };
  /** Where a failed call's upstream detail goes (the trainer's error never carries it). */
  logger?: Pick<Logger, 'info'>;
}

const toEndpoint = (r: EndpointRow): ModelEndpoint => ({
  id: r.id,
  name: r.name,
  baseUrl: r.baseUrl,
  model: r.model,
  keySet: r.apiKey.length > 0,
  timeoutMs: r.timeoutMs,
  maxTokens: r.maxTokens,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const sameTurns = (a: readonly { role: string; content: string }[], b: readonly { role: string; content: string }[]) =>
  a.length === b.length && a.every((t, i) => t.role === b[i]?.role && t.content === b[i]?.content);

export function createRedteamService({ repo, limiter, callsPerMinute, maxResponseBytes, settings, logger }: RedteamServiceDeps) {
  async function uniqueName(name: string, except?: string) {
    const other = await repo.endpointByName(name);
    if (other && other.id !== except) throw new AppError('conflict', `A model endpoint named “${name}” exists already.`, [{ path: 'body.name', message: 'is taken by another endpoint' }]);
  }

  /** The project's picked endpoint, if it still exists. */
  async function targetOf(project: { settings: unknown }): Promise<EndpointRow | null> {
    const id = settings(project).modelEndpointId;
    return id ? repo.endpoint(id) : null;
  }

  return {
    listEndpoints: async (): Promise<ModelEndpoint[]> => (await repo.listEndpoints()).map(toEndpoint),

    async createEndpoint(actorId: string, body: CreateModelEndpointBody): Promise<ModelEndpoint> {
      await uniqueName(body.name);
      const row = await repo.createEndpoint({ ...body, createdBy: actorId });
      // The key is never written to the audit log either.
      await repo.audit({ actorId, action: 'model_endpoint.create', target: row.id, details: { name: row.name, baseUrl: row.baseUrl, model: row.model } });
      return toEndpoint(row);
    },

    async updateEndpoint(actorId: string, id: string, body: UpdateModelEndpointBody): Promise<ModelEndpoint> {
      if (body.name !== undefined) await uniqueName(body.name, id);
      const row = await repo.updateEndpoint(id, body);
      if (!row) throw new AppError('not_found', 'No such model endpoint.');
      const { apiKey, ...rest } = body;
      await repo.audit({ actorId, action: 'model_endpoint.update', target: id, details: { ...rest, ...(apiKey !== undefined ? { apiKey: apiKey ? 'replaced' : 'removed' } : {}) } });
      return toEndpoint(row);
    },

    async deleteEndpoint(actorId: string, id: string): Promise<{ ok: true }> {
      if (!(await repo.deleteEndpoint(id))) throw new AppError('not_found', 'No such model endpoint.');
      await repo.audit({ actorId, action: 'model_endpoint.delete', target: id });
      return { ok: true };
    },

    choices: async (): Promise<ModelEndpointChoice[]> => (await repo.listEndpoints()).map((r) => ({ id: r.id, name: r.name, model: r.model })),

    /** For the settings route: a lead may pick only a registered endpoint, in a red-teaming project. */
    async checkPick(a: ProjectAccess, id: string | null | undefined): Promise<void> {
      if (id === undefined || id === null) return;
      const issues: FieldIssue[] = [];
      if (a.project.taskKind !== 'redteam') issues.push({ path: 'body.modelEndpointId', message: 'only a red-teaming project calls a model under test' });
      else if (!(await repo.endpoint(id))) issues.push({ path: 'body.modelEndpointId', message: `is not a registered model endpoint (${id})` });
      if (issues.length) throw new AppError('validation_failed', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
    },

    async target(a: ProjectAccess): Promise<RedteamTarget> {
      const ep = a.project.taskKind === 'redteam' ? await targetOf(a.project) : null;
      // Trainers judge blind: no model name, and never the URL or key.
      if (a.role === 'trainer') return { available: ep !== null };
      return { available: ep !== null, endpoint: ep ? { id: ep.id, name: ep.name, model: ep.model } : null };
    },

    /**
     * Sends the conversation to the project's endpoint. Counted against the caller's per-minute limit
     * before the call; recorded afterwards whatever happened. The draft is the client's to keep: this
     * route never touches it.
     */
    async send(a: ProjectAccess, userId: string, assignmentId: string, body: RedteamSendBody): Promise<RedteamSendResult> {
      if (a.project.taskKind !== 'redteam') throw new AppError('conflict', 'Only red-teaming projects send prompts to a model.');
      const asg = await repo.liveAssignment(a.project.id, userId, assignmentId);
      if (!asg) throw new AppError('not_found', 'No such assignment of yours in this project.');
      if (asg.status !== 'reserved' || asg.expiresAt <= new Date()) throw new AppError('conflict', 'This reservation has ended; ask for the next item.');
      const ep = await targetOf(a.project);
      if (!ep) throw new AppError('conflict', "This project has no model under test: paste the model's response instead.");
      const counted = await limiter.attempt([{ key: `redteam:${userId}`, max: callsPerMinute }]);
      if (!counted.ok)
        throw new AppError('rate_limited', `You sent ${callsPerMinute} prompts in the last minute; try again in ${counted.retryAfter} seconds.`, undefined, { 'Retry-After': String(counted.retryAfter) });
      const r = await callChat(ep, body.turns, maxResponseBytes);
      const call = await repo.recordCall({
        projectId: a.project.id,
        userId,
        assignmentId,
        endpointId: ep.id,
        endpointName: ep.name,
        model: ep.model,
        turns: body.turns,
        response: r.ok ? r.response : null,
        outcome: r.ok ? 'ok' : r.outcome,
        ms: r.ms,
      });
      if (!r.ok) {
        // The upstream's words (a model name, a masked key) and connection errors (hosts, ports) are
        // for leads and the log: a trainer learns only the kind of failure.
        if (r.detail) logger?.info('model endpoint call failed', { endpointId: ep.id, projectId: a.project.id, outcome: r.outcome, detail: r.detail.slice(0, 300) });
        const detail = r.detail && a.role === 'lead' ? ` (${r.detail})` : '';
        throw new AppError(r.outcome === 'timeout' ? 'model_timeout' : 'model_failed', `${r.message.replace(/\.$/, '')}${detail}. Your prompt and labels are kept; try again or paste a response.`);
      }
      return { callId: call.id, endpointId: ep.id, response: r.response, ms: r.ms };
    },

    /**
     * A submitted attack whose response came from the model must be the recorded call's: the same
     * caller and assignment, an answered call, the same conversation and response.
     */
    async preferenceIssues(projectId: string, userId: string, assignmentId: string, pref: Preference, path: string): Promise<FieldIssue[]> {
      if (pref.kind !== 'redteam' || pref.source !== 'endpoint' || !pref.callId) return [];
      const call = await repo.call(pref.callId);
      if (!call || call.projectId !== projectId || call.userId !== userId || call.assignmentId !== assignmentId || call.outcome !== 'ok')
        return [{ path: `${path}.callId`, message: 'is not an answered call of yours for this item' }];
      const issues: FieldIssue[] = [];
      if (pref.endpointId && pref.endpointId !== call.endpointId) issues.push({ path: `${path}.endpointId`, message: 'is not the endpoint of the recorded call' });
      if (!sameTurns(pref.turns, call.turns)) issues.push({ path: `${path}.turns`, message: 'differ from the conversation sent to the model: send it again, or record the response as pasted' });
      if (pref.response !== call.response) issues.push({ path: `${path}.response`, message: "differs from the model's recorded response: send again, or record it as pasted" });
      return issues;
    },

    async review(a: ProjectAccess, reviewerId: string, judgmentId: string, body: RedteamReviewBody): Promise<RedteamReview> {
      if (a.project.taskKind !== 'redteam') throw new AppError('conflict', 'Only red-teaming projects review attacks.');
      const j = await repo.submitted(a.project.id, judgmentId);
      if (!j) throw new AppError('not_found', 'No such submitted attack in this project.');
      if (j.userId === reviewerId) throw new AppError('conflict', 'You cannot review your own attack.');
      const row = await repo.upsertReview({ judgmentId, reviewerId, projectId: a.project.id, confirmed: body.confirmed, note: body.note });
      // The reviewer's name, from the attack's item's reviews (not the project's).
      const [r] = (await repo.reviews(a.project.id, j.itemId)).filter((x) => x.judgmentId === judgmentId && x.reviewerId === reviewerId);
      return { judgmentId, reviewerId, reviewerName: r?.reviewerName ?? '', confirmed: row.confirmed, note: row.note, updatedAt: row.updatedAt.toISOString() };
    },

    /** The summary over the project's attacks, or over one item's (`itemId`, filtered in the query). */
    async reviews(a: ProjectAccess, query: RedteamReviewsQuery = {}): Promise<RedteamReviewSummary> {
      const [attacks, reviews] = await Promise.all([repo.attacks(a.project.id, query.itemId), repo.reviews(a.project.id, query.itemId)]);
      const byJudgment = new Map<string, typeof reviews>();
      for (const r of reviews) byJudgment.set(r.judgmentId, [...(byJudgment.get(r.judgmentId) ?? []), r]);
      const trainer: (string | null)[] = [];
      const reviewer: (string | null)[] = [];
      let confirmed = 0;
      const out = attacks.map((j) => {
        const p = (j.payload as { preference?: Preference }).preference;
        const rt = p?.kind === 'redteam' ? p : null;
        const rs = byJudgment.get(j.id) ?? [];
        for (const r of rs) {
          if (rt?.success === null || rt?.success === undefined) continue;
          // A verdict read as "the attack succeeded": confirming a success or disputing a failure.
          trainer.push(String(rt.success));
          reviewer.push(String(r.confirmed ? rt.success : !rt.success));
          if (r.confirmed) confirmed++;
        }
        return {
          judgmentId: j.id,
          itemId: j.itemId,
          goal: j.goal,
          turns: rt?.turns ?? [],
          response: rt?.response ?? '',
          source: rt?.source ?? ('pasted' as const),
          success: rt?.success ?? null,
          severity: rt?.severity ?? null,
          category: rt?.category ?? [],
          confirmations: rs.filter((r) => r.confirmed).length,
          disputes: rs.filter((r) => !r.confirmed).length,
          reviews: rs.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() })),
        };
      });
      const varies = (xs: (string | null)[]) => new Set(xs).size > 1;
      const kappa = trainer.length >= 2 && varies(trainer) && varies(reviewer) ? cohenKappa(trainer, reviewer) : null;
      return { attacks: out, kappa, confirmedShare: trainer.length ? confirmed / trainer.length : null, reviews: trainer.length };
    },

    /**
     * The red-team dataset (the `redteam` export): one row per submitted attack, in item order; the
     * endpoint and model named from the recorded call (so a renamed or removed endpoint keeps its
     * name in the data), reviewers' verdicts beside the trainer's labels.
     */
    async exportRows(projectId: string): Promise<Record<string, unknown>[]> {
      const [attacks, reviews, calls] = await Promise.all([repo.attacks(projectId), repo.reviews(projectId), repo.callsOf(projectId)]);
      const byJudgment = new Map<string, typeof reviews>();
      for (const r of reviews) byJudgment.set(r.judgmentId, [...(byJudgment.get(r.judgmentId) ?? []), r]);
      return attacks.flatMap((j) => {
        const p = (j.payload as { preference?: Preference }).preference;
        if (p?.kind !== 'redteam') return [];
        const call = p.callId ? calls.get(p.callId) : undefined;
        const rs = byJudgment.get(j.id) ?? [];
        return [
          {
            goal: j.goal,
            externalId: j.externalId,
            judgmentId: j.id,
            turns: p.turns,
            response: p.response,
            source: p.source,
            endpoint: call?.endpointName ?? null,
            model: call?.model ?? null,
            category: p.category,
            severity: p.severity,
            success: p.success,
            confirmations: rs.filter((r) => r.confirmed).length,
            disputes: rs.filter((r) => !r.confirmed).length,
            reviews: rs.map((r) => ({ reviewerId: r.reviewerId, reviewerName: r.reviewerName, confirmed: r.confirmed, note: r.note })),
            annotatorId: j.userId,
            annotatorName: j.userName,
            judgmentSource: j.source,
            rubricVersion: j.rubricVersion,
            submittedAt: j.submittedAt,
          },
        ];
      });
    },
  };
}

export type RedteamService = ReturnType<typeof createRedteamService>;
