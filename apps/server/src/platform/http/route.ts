/**
 * Routes are declared as data: method, path, who may call it, and the zod schemas of its params,
 * query, body and response. The same table builds the Hono app, the OpenAPI document and the
 * authorization matrix test, so a route cannot exist without an access rule.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import type { ProjectRole } from '@accord/core';
import type { Deps } from '../../deps.ts';
import type { AuthContext, ProjectAccess } from './context.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * - `public`: anyone, signed in or not;
 * - `user`: any signed-in user;
 * - `admin`: global admins;
 * - `{ project: roles }`: members of `:projectId` with one of these roles (admins act as lead);
 *   non-members get 404 so a project's existence is not revealed.
 */
export type Access = 'public' | 'user' | 'admin' | { project: readonly ProjectRole[] };

export interface HandlerContext<P, Q, B, A extends Access> {
  c: Context<AppEnv>;
  deps: Deps;
  params: P;
  query: Q;
  body: B;
  auth: A extends 'public' ? AuthContext | null : AuthContext;
  project: A extends { project: readonly ProjectRole[] } ? ProjectAccess : null;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown, R = unknown, A extends Access = Access> {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: A;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Response body schema; responses are parsed with it, which also strips fields not in it. */
  response: z.ZodType<R> | null;
  status?: 200 | 201 | 202;
  /** Mutations on an archived project are refused unless the route says otherwise. */
  allowArchived?: boolean;
  /** Maximum request body in bytes (default 1 MiB). */
  maxBody?: number;
  /**
   * The body is a file the handler streams itself (`c.req.raw.body`): it is neither buffered nor
   * parsed as JSON, and the handler enforces its own size limit.
   */
  rawBody?: { contentTypes: string[] };
  handler(ctx: HandlerContext<P, Q, B, A>): Promise<R | Response>;
}

// The table holds routes of many shapes; the generic parameters only matter inside each definition.
export type AnyRoute = RouteDef<unknown, unknown, unknown, unknown, Access>;

export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined, R = unknown, const A extends Access = Access>(
  def: RouteDef<P, Q, B, R, A>,
): AnyRoute {
  return def as unknown as AnyRoute;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    auth: AuthContext | null;
  };
}
