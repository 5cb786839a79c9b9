import { z } from 'zod';
import { buildOpenApi, renderDocsHtml } from '../../platform/http/openapi.ts';
import { route, type AnyRoute } from '../../platform/http/route.ts';

/** Health and the API reference. `table` is read lazily: the table includes these routes themselves. */
export function createMetaRoutes(table: () => AnyRoute[]) {
  let docs: { json: ReturnType<typeof buildOpenApi>; html: string } | null = null;
  const apiDocs = async () => {
    if (!docs) {
      const json = buildOpenApi(table());
      docs = { json, html: renderDocsHtml(json) };
    }
    return docs;
  };
  return [
    route({
      method: 'get',
      path: '/api/health',
      tag: 'meta',
      summary: 'Liveness and database reachability',
      access: 'public',
      response: z.object({ ok: z.boolean(), db: z.enum(['pglite', 'postgres']) }),
      async handler({ c, deps }) {
        try {
          await deps.db.ping();
          return { ok: true, db: deps.db.kind };
        } catch {
          return c.json({ error: { code: 'unavailable', message: 'The database is not reachable.' } }, 503);
        }
      },
    }),

    route({
      method: 'get',
      path: '/api/openapi.json',
      tag: 'meta',
      summary: 'This API as an OpenAPI 3.1 document, generated from the zod schemas',
      access: 'public',
      response: null,
      handler: async ({ c }) => c.json((await apiDocs()).json),
    }),
    route({
      method: 'get',
      path: '/api/docs',
      tag: 'meta',
      summary: 'A readable API reference (HTML)',
      access: 'public',
      response: null,
      handler: async ({ c }) => c.html((await apiDocs()).html),
    }),
  ];
}
