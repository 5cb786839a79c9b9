/**
 * Route contracts: each API route as data — method, path, who may call it, the zod schemas of its
 * params, query, body and response, its success status and the errors it can answer. The server
 * binds a handler to each contract, `@accord/client` calls it, and the OpenAPI document and the
 * authorization matrix are built from the same data, so no request or response type is written twice.
 */
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';
import type { ProjectRole } from '../schemas/projects.ts';

/** Every error response: `{ error: { code, message, details? } }`. */
export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .meta({ description: 'The fields at fault, e.g. `[{ "path": "body.email", "message": "must be a valid email address" }]`.' }),
    }),
  })
  .meta({ description: 'Every error response: a stable code, a readable message and, for field problems, the fields at fault.' });

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * - `public`: anyone, signed in or not;
 * - `user`: any signed-in user;
 * - `admin`: global admins;
 * - `{ project: roles }`: members of `:projectId` with one of these roles (admins act as lead);
 *   non-members get 404 so a project's existence is not revealed.
 */
export type Access = 'public' | 'user' | 'admin' | { project: readonly ProjectRole[] };

export interface ContractDef {
  method: Method;
  /** Hono-style path, e.g. `/api/projects/:projectId`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  /** A JSON body. */
  body?: z.ZodType;
  /**
   * The body is a file the handler streams itself: it is neither buffered nor parsed as JSON, and
   * the handler enforces its own size limit.
   */
  rawBody?: { contentTypes: readonly string[] };
  /** Response body schema; responses are parsed with it, which also strips fields not in it. */
  response: z.ZodType;
  /** The response's media type (default `application/json`); a `text/*` response is a string. */
  produces?: 'application/json' | 'text/html';
  /** The response is a file the handler streams itself (a `Response`), in one of these media types. */
  download?: { mediaTypes: readonly string[] };
  status?: 200 | 201 | 202;
  /** Errors the route's own rules can answer, beyond those implied by its access and schemas. */
  errors?: readonly ErrorCode[];
  /** Mutations on an archived project are refused unless the route says otherwise. */
  allowArchived?: boolean;
  /** Maximum JSON request body in bytes (default 1 MiB). */
  maxBody?: number;
}

export type Contract<D extends ContractDef = ContractDef> = D & {
  /** `<domain>.<name>`, e.g. `projects.list`; the OpenAPI operationId. */
  readonly id: string;
};

/** Stamps each contract of a domain with its id, keeping every literal type of the definitions. */
export function defineContracts<const T extends Record<string, ContractDef>>(domain: string, defs: T): { [K in keyof T]: Contract<T[K]> } {
  return Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, { ...def, id: `${domain}.${name}` }])) as { [K in keyof T]: Contract<T[K]> };
}

type Infer<S, Io extends 'in' | 'out', Else> = S extends z.ZodType ? (Io extends 'in' ? z.input<S> : z.output<S>) : Else;

/** What a handler receives (parsed) and what a caller sends (before parsing). */
export type ParamsOf<C extends ContractDef, Io extends 'in' | 'out' = 'out'> = Infer<C['params'], Io, Record<string, never>>;
export type QueryOf<C extends ContractDef, Io extends 'in' | 'out' = 'out'> = Infer<C['query'], Io, Record<string, never>>;
export type BodyOf<C extends ContractDef, Io extends 'in' | 'out' = 'out'> = Infer<C['body'], Io, undefined>;
/** `in`: what a handler may return (it is parsed with the schema); `out`: what a caller receives. */
export type ResponseOf<C extends ContractDef, Io extends 'in' | 'out' = 'out'> = Infer<C['response'], Io, never>;

const MUTATING = new Set<Method>(['post', 'put', 'patch', 'delete']);

/**
 * Every error code a route can answer: derived from its access rule, its schemas and its method,
 * plus the codes its own rules add (`errors`). Sorted by status.
 */
export function errorCodesOf(c: ContractDef): ErrorCode[] {
  const codes = new Set<ErrorCode>(['bad_request', 'unavailable']); // malformed paths; a lost database
  if (c.params || c.query || c.body) codes.add('validation_failed');
  if (c.body) codes.add('unsupported_media_type').add('payload_too_large');
  if (c.rawBody) codes.add('payload_too_large');
  if (c.access !== 'public') codes.add('unauthenticated');
  if (c.access === 'admin') codes.add('forbidden');
  if (typeof c.access === 'object') {
    codes.add('not_found').add('forbidden');
    if (MUTATING.has(c.method) && !c.allowArchived) codes.add('project_archived');
  }
  if (MUTATING.has(c.method)) codes.add('csrf_rejected');
  for (const e of c.errors ?? []) codes.add(e);
  return [...codes].sort((a, b) => ERROR_STATUS[a] - ERROR_STATUS[b] || a.localeCompare(b));
}

/** The error statuses a route can answer, ascending. */
export function errorStatusesOf(c: ContractDef): number[] {
  return [...new Set(errorCodesOf(c).map((code) => ERROR_STATUS[code]))];
}
