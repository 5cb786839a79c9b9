import { z } from 'zod';
import { route } from '../http/route.ts';

export const metaRoutes = [
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
];
