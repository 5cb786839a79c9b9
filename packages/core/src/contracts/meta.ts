import { z } from 'zod';
import { defineContracts } from './contract.ts';

export const metaContracts = defineContracts('meta', {
  health: {
    method: 'get',
    path: '/api/health',
    tag: 'meta',
    summary: 'Liveness and database reachability',
    access: 'public',
    response: z.object({ ok: z.boolean(), db: z.enum(['pglite', 'postgres']) }),
  },
  openapi: {
    method: 'get',
    path: '/api/openapi.json',
    tag: 'meta',
    summary: 'This API as an OpenAPI 3.1 document, generated from the route contracts',
    access: 'public',
    response: z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document.' }),
  },
  docs: {
    method: 'get',
    path: '/api/docs',
    tag: 'meta',
    summary: 'A readable API reference (HTML)',
    access: 'public',
    response: z.string(),
    produces: 'text/html',
  },
});
