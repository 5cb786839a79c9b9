import { AppError, contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const gatesRoutes = [
  // ---- a lead's actions on a member's work
  bind(contracts.gates.pause, {
    handler: ({ deps, auth, project, params, body }) => deps.gates.pause(auth.user.id, project, params.userId, body.reason),
  }),
  bind(contracts.gates.resume, {
    handler: ({ deps, auth, project, params }) => deps.gates.resume(auth.user.id, project, params.userId),
  }),
  bind(contracts.gates.enrolCalibration, {
    handler: ({ deps, auth, project, params, body }) => deps.gates.enrolCalibration(auth.user.id, project, params.userId, body.note),
  }),
  bind(contracts.gates.withdrawCalibration, {
    handler: ({ deps, auth, project, params }) => deps.gates.withdrawCalibration(auth.user.id, project, params.userId),
  }),
  bind(contracts.gates.standing, {
    handler: ({ deps, auth, project }) => deps.gates.standing(project, auth.user.id),
  }),

  // ---- qualification
  bind(contracts.qualification.get, {
    handler: ({ deps, project }) => deps.gates.qualification(project.project.id),
  }),
  bind(contracts.qualification.put, {
    handler: ({ deps, auth, project, body }) => deps.gates.putQualification(auth.user.id, project, body),
  }),
  bind(contracts.qualification.remove, {
    async handler({ deps, auth, project }) {
      await deps.gates.removeQualification(auth.user.id, project);
      return { ok: true as const };
    },
  }),
  bind(contracts.qualification.next, {
    handler: ({ deps, auth, project }) => deps.gates.next(project, auth.user.id),
  }),
  bind(contracts.qualification.answer, {
    handler: ({ deps, auth, project, params, body }) => deps.gates.answer(project, auth.user.id, params.attemptId, params.itemId, body),
  }),
  bind(contracts.qualification.listAttempts, {
    handler: ({ deps, auth, project, query }) => {
      if (project.role === 'trainer' && query.userId && query.userId !== auth.user.id) throw new AppError('forbidden', 'Trainers see only their own attempts.');
      return deps.gates.attempts(project, auth.user.id, query);
    },
  }),
  bind(contracts.qualification.getAttempt, {
    handler: ({ deps, project, params }) => deps.gates.attempt(project, params.attemptId),
  }),
  bind(contracts.qualification.grade, {
    handler: ({ deps, auth, project, params, body }) => deps.gates.grade(auth.user.id, project, params.attemptId, body),
  }),
];
