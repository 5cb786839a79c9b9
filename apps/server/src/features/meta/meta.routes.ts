import { contracts } from '@accord/core';
import { buildOpenApi, renderDocsHtml } from '../../platform/http/openapi.ts';
import { bind, type AnyRoute } from '../../platform/http/route.ts';

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
    bind(contracts.meta.health, {
      async handler({ c, deps }) {
        try {
          await deps.db.ping();
          return { ok: true, db: deps.db.kind };
        } catch {
          // Same as every other route on a lost database (app.ts onError): 503 with a Retry-After.
          c.header('Retry-After', '5');
          return c.json({ error: { code: 'unavailable', message: 'The database is not reachable.' } }, 503);
        }
      },
    }),

    bind(contracts.meta.openapi, {
      handler: async ({ c }) => c.json((await apiDocs()).json),
    }),
    bind(contracts.meta.docs, {
      handler: async ({ c }) => c.html((await apiDocs()).html),
    }),
  ];
}
