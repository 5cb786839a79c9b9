import type { AnyRoute } from '../http/route.ts';
import { authRoutes } from './auth.ts';
import { metaRoutes } from './meta.ts';
import { projectRoutes } from './projects.ts';
import { rubricRoutes } from './rubrics.ts';
import { userRoutes } from './users.ts';
import { workRoutes } from './work.ts';

/** Every API route. The OpenAPI document and the authorization matrix test are built from this. */
export const routeTable: AnyRoute[] = [...metaRoutes, ...authRoutes, ...userRoutes, ...projectRoutes, ...rubricRoutes, ...workRoutes];
