import { contracts, EXPORT_ROWS_HEADER, type TaskKind } from '@accord/core';
import type { Context } from 'hono';
import { bind, type AppEnv } from '../../platform/http/route.ts';

/** Every value of the repeatable `method` parameter (the contract's schema sees the first only). */
const methodsOf = (c: Context<AppEnv>) => c.req.queries('method') ?? [];

const projectOf = (p: { id: string; name: string; taskKind: TaskKind; settings: unknown }) => ({ id: p.id, name: p.name, taskKind: p.taskKind, settings: p.settings });

export const exportRoutes = [
  bind(contracts.exports.count, {
    handler: ({ c, deps, project, params, query }) => deps.exports.count(projectOf(project.project), params.kind, query, methodsOf(c)),
  }),
  bind(contracts.exports.download, {
    async handler({ c, deps, auth, project, params, query }) {
      const { format, ...filters } = query;
      const d = await deps.exports.download(projectOf(project.project), params.kind, format, filters, methodsOf(c), auth.user.id);
      return new Response(d.body, {
        status: 200,
        headers: {
          'Content-Type': d.contentType,
          'Content-Disposition': d.contentDisposition,
          [EXPORT_ROWS_HEADER]: String(d.rows),
        },
      });
    },
  }),
];
