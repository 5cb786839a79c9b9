import type { AnyRoute } from './platform/http/route.ts';
import { authRoutes } from './features/auth/auth.routes.ts';
import { exportRoutes } from './features/exports/exports.routes.ts';
import { consensusRoutes } from './features/consensus/consensus.routes.ts';
import { calibrationRoutes } from './features/calibration/calibration.routes.ts';
import { feedbackRoutes } from './features/feedback/feedback.routes.ts';
import { gatesRoutes } from './features/gates/gates.routes.ts';
import { importRoutes } from './features/imports/imports.routes.ts';
import { judgingRoutes } from './features/judging/judging.routes.ts';
import { justificationRoutes } from './features/justifications/justifications.routes.ts';
import { createMetaRoutes } from './features/meta/meta.routes.ts';
import { projectRoutes } from './features/projects/projects.routes.ts';
import { qualityRoutes } from './features/quality/quality.routes.ts';
import { rubricRoutes } from './features/rubrics/rubrics.routes.ts';
import { userRoutes } from './features/users/users.routes.ts';
import { writingRoutes } from './features/writing/writing.routes.ts';
import { redteamRoutes } from './features/redteam/redteam.routes.ts';

/** Every API route. The OpenAPI document and the authorization matrix test are built from this. */
export const routeTable: AnyRoute[] = [
  ...createMetaRoutes(() => routeTable),
  ...authRoutes,
  ...userRoutes,
  ...projectRoutes,
  ...rubricRoutes,
  ...importRoutes,
  ...judgingRoutes,
  ...justificationRoutes,
  ...gatesRoutes,
  ...feedbackRoutes,
  ...qualityRoutes,
  ...exportRoutes,
  ...consensusRoutes,
  ...calibrationRoutes,
  ...writingRoutes,
  ...redteamRoutes,
];
