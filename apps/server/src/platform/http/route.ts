/**
 * Routes are contracts (`@accord/core` `contracts`: method, path, who may call it, the zod schemas
 * of its params, query, body and response) with a handler bound here. The same table builds the Hono
 * app, the OpenAPI document and the authorization matrix test, so a route cannot exist without an
 * access rule, and the handler's types come from the contract.
 */
import type { Context } from 'hono';
import type { BodyOf, Contract, ContractDef, ParamsOf, ProjectRole, QueryOf, ResponseOf } from '@accord/core';
import type { Deps } from '../../deps.ts';
import type { AuthContext, ProjectAccess } from './context.ts';

export type { Access, Method } from '@accord/core';

export interface HandlerContext<C extends ContractDef> {
  c: Context<AppEnv>;
  deps: Deps;
  params: ParamsOf<C>;
  query: QueryOf<C>;
  body: BodyOf<C>;
  auth: C['access'] extends 'public' ? AuthContext | null : AuthContext;
  project: C['access'] extends { project: readonly ProjectRole[] } ? ProjectAccess : null;
}

export type Handler<C extends ContractDef> = (ctx: HandlerContext<C>) => Promise<ResponseOf<C, 'in'> | Response> | ResponseOf<C, 'in'> | Response;

/** Every route in the table; the fields the table's readers need are the contract's own. */
export type AnyRoute = Contract & {
  /** Called by the app after it has checked access and validated params, query and body against the contract. */
  handler(ctx: { c: Context<AppEnv>; deps: Deps; params: unknown; query: unknown; body: unknown; auth: AuthContext | null; project: ProjectAccess | null }): Promise<unknown> | unknown;
};

/** Binds a handler to a contract; the handler's params, query, body and result are typed from it. */
export function bind<C extends ContractDef>(contract: Contract<C>, impl: { handler: Handler<C> }): AnyRoute {
  return { ...contract, handler: impl.handler } as unknown as AnyRoute;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by the authentication step of the route (or the API fallback); null before it. */
    auth: AuthContext | null;
    /** The request's credential as read from its headers, resolved by the route. */
    credential: { kind: 'token' | 'cookie'; value: string } | null;
  };
}
