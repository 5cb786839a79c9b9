/**
 * createApp(deps) builds the Hono app: security headers and request ids on every response, path
 * canonicalisation, authentication, CSRF, the route table, and the built web app. It never listens.
 */
import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { AppError, describeIssues, issuesOf, type FieldIssue } from '@accord/core';
import type { z } from 'zod';
import type { Deps } from './deps.ts';
import { isHttps, originAllowed, ownOrigin, sessionCookieName } from './platform/http/request.ts';
import type { AuthContext, ProjectLookup } from './platform/http/context.ts';
import { compileOutput } from './platform/http/output.ts';
import type { AnyRoute, AppEnv } from './platform/http/route.ts';
import { routeTable } from './routes.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const DEFAULT_MAX_BODY = 1024 * 1024;
/** A body declared over a route's limit but under this is read (and dropped) before the 413. */
const DRAIN_BEFORE_413 = 16 * 1024 * 1024;

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'params' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  // A query string may carry what PostgreSQL cannot store (`%00`): refused here, naming the parameter.
  const unstorable = where === 'query' ? unstorableText(value, 'query') : null;
  if (unstorable) throw new AppError('validation_failed', describeIssues([unstorable]), [unstorable]);
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = issuesOf(r.error, where);
  throw new AppError('validation_failed', describeIssues(details), details);
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new AppError('unsupported_media_type', 'The request body must be JSON (Content-Type: application/json).', [{ path: 'headers.content-type', message: 'must be application/json' }]);
  const text = await c.req.text();
  if (text.trim() === '') throw new AppError('validation_failed', 'body: is required', [{ path: 'body', message: 'is required' }]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AppError('validation_failed', `body: is not valid JSON (${(e as Error).message})`, [{ path: 'body', message: 'is not valid JSON' }]);
  }
  // Decoded UTF-8 holds neither: only a `\u` escape can make one, so most bodies skip the walk.
  const issue = ESCAPED_SUSPECT.test(text) ? unstorableText(value) : null;
  if (issue) throw new AppError('validation_failed', describeIssues([issue]), [issue]);
  return value;
}

/** A NUL, or half of a surrogate pair with no other half (JSON's `\u` escapes allow both). */
// eslint-disable-next-line no-control-regex -- NUL is the character looked for
const SUSPECT_TEXT = /[\u0000\ud800-\udfff]/;
const ESCAPED_SUSPECT = /\\u(0000|d[89a-f])/i;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
function textProblem(s: string): 'nul' | 'surrogate' | null {
  if (!SUSPECT_TEXT.test(s)) return null;
  return s.includes('\u0000') ? 'nul' : LONE_SURROGATE.test(s) ? 'surrogate' : null;
}
const TEXT_PROBLEM = {
  nul: 'must not contain a NUL character (U+0000)',
  surrogate: 'must be valid Unicode text (it has an unpaired surrogate, such as \\ud800 without its pair)',
} as const;

/**
 * The first string (or key) of a JSON body that the database cannot store — PostgreSQL's text and
 * jsonb refuse NUL and unpaired surrogates —, with its path, so the request is refused as bad input
 * naming the field instead of failing (500) at the statement, or after part of its work was done.
 * Walked without recursion: a body may nest as deep as JSON.parse allows.
 */
function unstorableText(root: unknown, rootPath = 'body'): FieldIssue | null {
  const stack: { v: unknown; path: string }[] = [{ v: root, path: rootPath }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { path, message: TEXT_PROBLEM[problem] };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}.${i}` });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (const k of keys) {
        const problem = textProblem(k);
        if (problem) return { path, message: `has a key that ${problem === 'nul' ? 'contains a NUL character (U+0000)' : 'is not valid Unicode text (an unpaired surrogate)'}` };
      }
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ v: (v as Record<string, unknown>)[keys[i]!], path: `${path}.${keys[i]}` });
    }
  }
  return null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The caller, from the credential the middleware read (once per request): null without one or for
 * an invalid session cookie; an invalid API token is refused (401). With `projectId`, the same
 * query reads that project and the caller's membership (`lookup`, for the access check).
 */
async function authenticate(c: Context<AppEnv>, deps: Deps, projectId?: string): Promise<(AuthContext & { lookup?: ProjectLookup }) | null> {
  const cred = c.get('credential');
  if (!cred) return null;
  const auth = cred.kind === 'token' ? await deps.auth.fromToken(cred.value, projectId) : await deps.auth.fromCookie(cred.value, projectId);
  if (!auth && cred.kind === 'token') throw new AppError('unauthenticated', 'The API token is invalid, expired or revoked.');
  c.set('auth', auth);
  return auth;
}

function mount(app: Hono<AppEnv>, deps: Deps, r: AnyRoute) {
  const maxSize = r.maxBody ?? DEFAULT_MAX_BODY;
  // The response schema, compiled once: strips unlisted fields as its parse does (platform/http/output.ts).
  const shapeOutput = compileOutput(r.response);
  const tooLarge = () => {
    throw new AppError('payload_too_large', `The request body is larger than ${maxSize} bytes.`);
  };
  const streamedLimit = bodyLimit({ maxSize, onError: tooLarge });
  // A declared length is checked from the header (the HTTP parser holds the body to it), so the body
  // is then read straight from the socket; only a body without one (chunked) is counted as it streams
  // in. Hono's limit alone would build a full fetch Request for every request (its body stream), which
  // costs more than the rest of a hot request's handling.
  const limit = async (c: Context<AppEnv>, next: () => Promise<void>) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    // Within the limit: on to the handler. Over it (or without a length): Hono's limit, which answers
    // 413 after taking up the body stream, so the client can finish sending before the connection closes.
    if (length !== undefined && /^\d+$/.test(length) && Number(length) <= maxSize && c.req.header('transfer-encoding') === undefined) {
      await next();
      // Refused before its body was read (authentication, parameters): read it now, before answering,
      // so a client still sending gets the 4xx instead of a connection reset (the adapter would drain it
      // after the response, with a timeout). Read bodies are cached, so this costs nothing then.
      if (c.res.status >= 400) await c.req.arrayBuffer().catch(() => undefined);
      return;
    }
    // Declared too large, but not absurdly: read and discard it, then answer 413, so the client (still
    // sending) reads the answer instead of a connection reset. Larger ones are cut off as they come.
    if (length !== undefined && /^\d+$/.test(length) && Number(length) <= DRAIN_BEFORE_413 && c.req.header('transfer-encoding') === undefined) {
      const reader = c.req.raw.body?.getReader();
      for (let n = 0; reader; ) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.byteLength;
        if (n > DRAIN_BEFORE_413) break;
      }
      tooLarge();
    }
    return streamedLimit(c, next);
  };
  // Authentication comes first (before the body limit), as a middleware of the route: a project
  // route reads its project with the credential (one query), when the id can be one.
  const authn = async (c: Context<AppEnv>, next: () => Promise<void>) => {
    const rawProjectId = typeof r.access === 'object' ? c.req.param('projectId') : undefined;
    // Lower case, as the params' schema reads it (IdSchema), so the lookup is the one the route uses.
    await authenticate(c, deps, rawProjectId && UUID.test(rawProjectId) ? rawProjectId.toLowerCase() : undefined);
    await next();
  };
  const handler = async (c: Context<AppEnv>) => {
    const auth = c.get('auth') as (AuthContext & { lookup?: ProjectLookup }) | null;
    if (r.access !== 'public' && !auth) throw new AppError('unauthenticated', 'Sign in first.');
    if (r.access === 'admin' && !auth!.user.isAdmin) throw new AppError('forbidden', 'Only admins can do this.');
    const params = validate(r.params, c.req.param(), 'params');
    let project = null;
    if (typeof r.access === 'object') {
      const projectId = (params as { projectId: string }).projectId;
      project = await deps.projects.access(auth!.user, projectId, auth!.lookup);
      // Non-members learn nothing about whether the project exists.
      if (!project) throw new AppError('not_found', 'Project not found.');
      if (!r.access.project.includes(project.role)) throw new AppError('forbidden', `This needs the role ${r.access.project.join(' or ')} in this project.`);
      if (project.project.archivedAt && r.method !== 'get' && !r.allowArchived)
        throw new AppError('project_archived', 'This project is archived and read-only.');
    }
    const query = validate(r.query, c.req.query(), 'query');
    const body = r.body ? validate(r.body, await readJson(c), 'body') : undefined;
    const result = await r.handler({ c, deps, params, query, body, auth, project });
    if (result instanceof Response) return result;
    const out = shapeOutput(result);
    if (r.produces === 'text/html') return c.html(String(out), r.status ?? 200);
    return c.json(out as object, r.status ?? 200);
  };
  // Streamed uploads skip the limit middleware: without a Content-Length it would buffer the body.
  if (r.rawBody) app.on(r.method.toUpperCase(), r.path, authn, handler);
  else app.on(r.method.toUpperCase(), r.path, authn, limit, handler);
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300']);
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end|PGlite is closed/i;

/** Walks the cause chain (drizzle wraps driver errors in "Failed query") for a lost database. */
function isDbUnavailable(e: unknown): boolean {
  for (let cur = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (UNAVAILABLE_MESSAGE.test(String((cur as Error).message ?? ''))) return true;
  }
  return false;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

export function createApp(deps: Deps) {
  const app = new Hono<AppEnv>();
  const { env, logger } = deps;

  app.use('*', async (c, next) => {
    c.set('requestId', randomUUID());
    c.set('auth', null);
    c.set('credential', null);
    await next();
    const h = c.res.headers;
    h.set('X-Request-Id', c.get('requestId'));
    h.set('Content-Security-Policy', CSP);
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('X-Frame-Options', 'DENY');
    h.set('Referrer-Policy', 'no-referrer');
    h.set('Cross-Origin-Opener-Policy', 'same-origin');
    h.set('Cross-Origin-Resource-Policy', 'same-origin');
    h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (isHttps(c, env)) h.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    if (c.req.path.startsWith('/api/') && !h.has('Cache-Control')) h.set('Cache-Control', 'no-store');
  });

  // One spelling per resource: doubled or encoded slashes, backslashes and dot segments are refused
  // before any routing, so no variant can reach a handler past the middleware meant for it.
  app.use('*', async (c, next) => {
    const raw = c.req.url.slice(c.req.url.indexOf('/', c.req.url.indexOf('//') + 2));
    const path = raw.split('?')[0] ?? '';
    if (/\/\/|%2f|%5c|\\|\/\.\.?(\/|$)|%2e%2e/i.test(path)) throw new AppError('bad_request', 'Malformed path.');
    // `/API/...` and friends are not the app shell: API paths are case-sensitive and answered as API.
    if (/^\/api(\/|$)/i.test(path) && !path.startsWith('/api/')) throw new AppError('not_found', 'No such API route (paths are case-sensitive).');
    await next();
  });

  // The credential is read here and resolved by the route (with its project, in one query, on
  // project routes). CSRF: anything that changes state with ambient credentials (or none yet, e.g.
  // login) must come from our own origin; a bearer token is not ambient (an invalid one gets 401).
  app.use('/api/*', async (c, next) => {
    const authz = c.req.header('authorization');
    if (authz !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz);
      if (!m) throw new AppError('unauthenticated', 'The API token is invalid, expired or revoked.');
      c.set('credential', { kind: 'token', value: m[1]! });
    } else {
      const cookie = getCookie(c, sessionCookieName(isHttps(c, env)));
      c.set('credential', cookie ? { kind: 'cookie', value: cookie } : null);
    }
    if (!SAFE_METHODS.has(c.req.method) && c.get('credential')?.kind !== 'token') {
      if (!originAllowed(c.req.header('origin'), c.req.header('sec-fetch-site'), ownOrigin(c, env), env.ACCORD_ORIGINS))
        throw new AppError('csrf_rejected', 'Cross-site request refused: this request must come from the Accord web app or use an API token.');
    }
    await next();
  });

  for (const r of routeTable) mount(app, deps, r);

  app.all('/api/*', async (c) => {
    if (!(await authenticate(c, deps))) throw new AppError('unauthenticated', 'Sign in first.');
    throw new AppError('not_found', `No API route ${c.req.method} ${c.req.path}.`);
  });

  // The built web app, with an index.html fallback for client-side routes.
  app.get('*', async (c) => {
    const root = env.webDist;
    const rel = normalize(decodeURIComponent(c.req.path)).replace(/^(\.\.(\/|\\|$))+/, '');
    const file = join(root, rel);
    if (file.startsWith(root + sep)) {
      const s = await stat(file).catch(() => null);
      if (s?.isFile()) {
        const body = await readFile(file);
        const immutable = rel.startsWith(`${sep}assets${sep}`);
        return c.body(body, 200, {
          'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
          'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        });
      }
    }
    if (extname(rel) && rel !== '/index.html') return c.text('Not found', 404);
    const index = await readFile(join(root, 'index.html')).catch(() => null);
    if (!index)
      return c.html('<!doctype html><title>Accord</title><p>The web app has not been built. Run <code>npm start</code> (or <code>npm run build -w @accord/web</code>).</p>', 503);
    return c.body(index, 200, { 'Content-Type': MIME['.html']!, 'Cache-Control': 'no-cache' });
  });

  app.onError((err, c) => {
    if (err instanceof AppError) {
      for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      // The unread rest of an oversized body would poison a kept-alive connection.
      if (err.code === 'payload_too_large') c.header('Connection', 'close');
      return c.json(err.toBody(), err.status as 400);
    }
    if (isDbUnavailable(err)) {
      logger.error('database unavailable', { requestId: c.get('requestId'), message: (err as Error).message });
      c.header('Retry-After', '5');
      return c.json({ error: { code: 'unavailable', message: 'The database is unavailable; try again shortly.' } }, 503);
    }
    logger.error('unhandled error', { requestId: c.get('requestId'), path: c.req.path, stack: (err as Error).stack });
    return c.json({ error: { code: 'internal', message: `Internal error (request id ${c.get('requestId')}).` } }, 500);
  });

  return app;
}

export type FieldIssues = FieldIssue[];
