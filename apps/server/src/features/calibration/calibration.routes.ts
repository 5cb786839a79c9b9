import { contracts } from '@accord/core';
import { bind } from '../../platform/http/route.ts';

export const calibrationRoutes = [
  bind(contracts.calibration.list, { handler: ({ deps, auth, project }) => deps.calibration.list(project, auth.user.id) }),
  bind(contracts.calibration.create, { handler: ({ deps, auth, project, body }) => deps.calibration.create(project, auth.user.id, body) }),
  bind(contracts.calibration.get, { handler: ({ deps, auth, project, params }) => deps.calibration.get(project, auth.user.id, params.sessionId) }),
  bind(contracts.calibration.addParticipants, { handler: ({ deps, auth, project, params, body }) => deps.calibration.addParticipants(project, auth.user.id, params.sessionId, body) }),
  bind(contracts.calibration.join, { handler: ({ deps, auth, project, params }) => deps.calibration.join(project, auth.user.id, params.sessionId) }),
  bind(contracts.calibration.openRound, { handler: ({ deps, auth, project, params }) => deps.calibration.openRound(project, auth.user.id, params.sessionId) }),
  bind(contracts.calibration.nextItem, { handler: ({ deps, auth, project, params }) => deps.calibration.nextItem(project, auth.user.id, params.sessionId) }),
  bind(contracts.calibration.submit, { handler: ({ deps, auth, project, params, body }) => deps.calibration.submit(project, auth.user.id, params.sessionId, body) }),
  bind(contracts.calibration.reveal, { handler: ({ deps, auth, project, params, body }) => deps.calibration.reveal(project, auth.user.id, params.sessionId, body) }),
  bind(contracts.calibration.round, { handler: ({ deps, auth, project, params }) => deps.calibration.round(project, auth.user.id, params.sessionId, params.roundId) }),
  bind(contracts.calibration.end, { handler: ({ deps, auth, project, params, body }) => deps.calibration.end(project, auth.user.id, params.sessionId, body) }),
  bind(contracts.calibration.report, { handler: ({ deps, auth, project, params }) => deps.calibration.report(project, auth.user.id, params.sessionId) }),
  bind(contracts.calibration.audit, {
    async handler({ c, deps, auth, project, params }) {
      const log = await deps.calibration.audit(project, auth.user.id, params.sessionId);
      // A download with a fixed type and a safe file name (the session id only).
      c.header('Content-Disposition', `attachment; filename="calibration-${params.sessionId}.json"`);
      return log;
    },
  }),
];
