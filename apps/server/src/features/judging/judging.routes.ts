import { AppError, contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const judgingRoutes = [
  // ---- assignment settings
  bind(contracts.judging.settings, {
    handler: async ({ deps, project }) => deps.judging.settings(project.project),
  }),
  bind(contracts.judging.updateSettings, {
    async handler({ deps, auth, project, body }) {
      // A lead picks only a registered model endpoint (red teaming).
      await deps.redteam.checkPick(project, body.modelEndpointId);
      return deps.judging.updateSettings(auth.user.id, project, body);
    },
  }),

  // ---- the queue and judging
  bind(contracts.judging.progress, {
    handler: ({ deps, auth, project }) => deps.judging.progress(project, auth.user.id),
  }),
  bind(contracts.judging.next, {
    handler: ({ deps, auth, project }) => deps.judging.next(project, auth.user.id),
  }),
  bind(contracts.judging.saveDraft, {
    handler: ({ deps, auth, project, params, body }) => deps.judging.saveDraft(project, auth.user.id, params.assignmentId, body),
  }),
  bind(contracts.judging.submit, {
    async handler({ deps, auth, project, params, query, body }) {
      const r = await deps.judging.submit(project, auth.user, params.assignmentId, body);
      // The item's consensus, after this commit and off the trainer's path, within 100 ms with the other
      // submits of that time (queued by a trigger; a sweep recovers).
      if (!r.repeated) deps.consensus.soon();
      // Its quality figures likewise (the submit left its refresh pending; every read of the figures settles it first).
      if (!r.repeated) deps.quality.submitted();
      // A writing's first version (its word diff against the response it rewrites), so reviewers see it at once.
      if (!r.repeated && project.project.taskKind === 'writing') await deps.writing.sync(project.project.id, 'writing');
      // `?next=1`: the trainer loop in one request; the reservation is made after the judgment has committed.
      return query.next ? { ...r, next: await deps.judging.next(project, auth.user.id) } : r;
    },
  }),
  bind(contracts.judging.release, {
    async handler({ deps, auth, project, params }) {
      await deps.judging.release(project, auth.user.id, params.assignmentId);
      return { ok: true as const };
    },
  }),
  bind(contracts.judging.listJudgments, {
    handler: ({ deps, auth, project, query }) => {
      if (project.role === 'trainer' && query.userId && query.userId !== auth.user.id) throw new AppError('forbidden', 'Trainers see only their own judgments.');
      return deps.judging.list(project, auth.user.id, query);
    },
  }),
  bind(contracts.judging.viewJudgment, {
    handler: ({ deps, auth, project, params }) => deps.judging.view(project, auth.user.id, params.judgmentId),
  }),
];
