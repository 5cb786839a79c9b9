/**
 * Builds the OpenAPI 3.1 document from the route table (the contracts of `@accord/core`), and a
 * readable HTML reference from it. Nothing here is written by hand per route: a new route appears in
 * both automatically, with the error responses its access rule and schemas imply.
 */
import { z } from 'zod';
import { ERROR_STATUS, ErrorBodySchema, errorCodesOf, type ErrorCode } from '@accord/core';
import type { AnyRoute } from './route.ts';

type JsonSchema = Record<string, unknown>;

const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** What each error code means, for the description of an operation's error responses. */
const ERROR_TEXT: Record<ErrorCode, string> = {
  bad_request: '`bad_request`: the path is malformed (doubled or encoded slashes, dot segments).',
  validation_failed: '`validation_failed`: a parameter, the query or the body does not fit; `details` names each field.',
  unauthenticated: '`unauthenticated`: not signed in, or the session or API token is invalid, expired or revoked.',
  forbidden: "`forbidden`: the caller's role does not allow this.",
  csrf_rejected: '`csrf_rejected`: a state-changing request with a session cookie that did not come from Accord\'s own origin.',
  not_found: '`not_found`: the resource does not exist, or (for a project) the caller is not a member.',
  conflict: '`conflict`: the request contradicts the current state.',
  project_archived: '`project_archived`: the project is archived and read-only.',
  payload_too_large: '`payload_too_large`: the body is larger than the limit.',
  unsupported_media_type: '`unsupported_media_type`: the body must be JSON (`Content-Type: application/json`).',
  rate_limited: '`rate_limited`: too many attempts; wait for `Retry-After` seconds.',
  internal: '`internal`: an unexpected error; the message carries the request id.',
  unavailable: '`unavailable`: the database is unreachable; try again shortly (`Retry-After`).',
  model_failed: "`model_failed`: the project's model under test refused or failed the call (its status is in the message); nothing of yours was lost.",
  model_timeout: "`model_timeout`: the project's model under test did not answer within its endpoint's timeout.",
};

const TAGS: Record<string, string> = {
  meta: 'Health and this reference.',
  auth: 'Signing in and out, your password and your personal API tokens.',
  users: 'User accounts (admins).',
  redteam: 'Red teaming: the models under test (OpenAI-compatible endpoints an admin registers), sending an attack to a project\'s model, and reviewers\' confirmations.',
  projects: 'Projects: name, description, archiving.',
  members: "A project's members, their roles, tiers and domain tags; pauses, calibration enrolment and your own standing.",
  items: "A project's items (prompts and the responses to judge).",
  rubric: 'The live rubric draft and its published, immutable versions.',
  import: 'Importing items and existing judgments from files.',
  assignment: 'How items are assigned: overlap, reservations, gold, eligibility.',
  judging: 'The queue, drafts, submitting and reading judgments.',
  qualification: 'Qualification before real work: gold items, pass threshold, retries, reviewed justifications; passing grants a tier or domain tags.',
  calibration: 'Live calibration sessions: blind rounds, reveal, discussion, re-vote, agreement before and after.',
  feedback: "Reviewers' feedback on judgments; trainers read the feedback on their own.",
  writing: 'SFT writing projects: written demonstrations, their versions and word diffs, reviews (scores per dimension; accept or send back with feedback) and revisions.',
  exports: 'Training data and reports as files: DPO pairs, reward-model rankings, SFT, scores, judgments, consensus labels, the leaderboard and the agreement report.',
};

function toSchema(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const js = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  delete js.$schema;
  return js;
}

function accessText(r: AnyRoute): string {
  if (r.access === 'public') return 'public';
  if (r.access === 'user') return 'any signed-in user';
  if (r.access === 'admin') return 'admin';
  return `project ${r.access.project.join(', ')} (admins act as lead)`;
}

/** One response per error status this route can answer, each naming the codes behind it. */
function errorResponses(r: AnyRoute): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(r)) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      String(status),
      { description: codes.map((code) => ERROR_TEXT[code]).join(' '), content: { 'application/json': { schema: ERROR_REF } } },
    ]),
  );
}

export function buildOpenApi(routes: AnyRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const js = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, prop] of Object.entries(js.properties ?? {}))
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: prop });
    }
    const status = String(r.status ?? 200);
    const mediaType = r.produces ?? 'application/json';
    const op: Record<string, unknown> = {
      tags: [r.tag],
      summary: r.summary,
      description: [r.description, `Access: ${accessText(r)}.`].filter(Boolean).join('\n\n'),
      operationId: r.id,
      'x-access': r.access,
      parameters,
      responses: {
        [status]: r.download
          ? { description: 'The file.', content: Object.fromEntries(r.download.mediaTypes.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) }
          : { description: 'OK', content: { [mediaType]: { schema: toSchema(r.response, 'output') } } },
        ...errorResponses(r),
        500: { description: ERROR_TEXT.internal, content: { 'application/json': { schema: ERROR_REF } } },
      },
      security: r.access === 'public' ? [] : [{ session: [] }, { bearer: [] }],
    };
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: toSchema(r.body, 'input') } } };
    if (r.rawBody)
      op.requestBody = { required: true, description: 'The file, as the raw request body.', content: Object.fromEntries(r.rawBody.contentTypes.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) };
    (paths[path] ??= {})[r.method] = op;
  }
  const usedTags = new Set(routes.map((r) => r.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Accord API',
      version: '0.1.0',
      description:
        'Every error is `{ "error": { "code", "message", "details"? } }`. Browsers authenticate with the session cookie ' +
        '(state-changing requests must come from Accord\'s own origin); scripts send a personal API token as `Authorization: Bearer …`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'The Accord server that serves this document.' }],
    tags: [...usedTags].map((name) => ({ name, description: TAGS[name] ?? name })),
    components: {
      schemas: { Error: toSchema(ErrorBodySchema, 'output') },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'accord_session', description: 'Over https the cookie is named `__Host-accord_session`.' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    paths,
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function fieldsTable(schema: JsonSchema | undefined): string {
  const props = (schema?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema?.required ?? []) as string[]);
  const rows = Object.entries(props).map(([name, p]) => {
    const { type, enum: en, format, description, ...rest } = p as Record<string, unknown>;
    const constraints = Object.entries(rest)
      .filter(([k]) => ['minLength', 'maxLength', 'minimum', 'maximum', 'default', 'pattern'].includes(k))
      .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
      .join(', ');
    const t = en ? (en as unknown[]).map((v) => JSON.stringify(v)).join(' | ') : [type ?? (p.anyOf ? 'one of' : p.$ref ? 'object' : 'any'), format].filter(Boolean).join(' ');
    return `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td><td>${esc(String(t))}</td><td>${esc([description, constraints].filter(Boolean).join(' · '))}</td></tr>`;
  });
  return rows.length ? `<table><thead><tr><th>field</th><th>type</th><th>notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p class="none">none</p>';
}

export function renderDocsHtml(doc: ReturnType<typeof buildOpenApi>): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(ops)) {
      const op = raw as { tags: string[]; summary: string; description: string; parameters: { name: string; in: string; required: boolean; schema: JsonSchema }[]; requestBody?: { content: { 'application/json': { schema: JsonSchema } } }; responses: Record<string, { content: Record<string, { schema: JsonSchema }> }> };
      const params = op.parameters.length
        ? `<table><thead><tr><th>parameter</th><th>in</th><th>type</th></tr></thead><tbody>${op.parameters
            .map((p) => `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${p.in}</td><td>${esc(String((p.schema.enum as unknown[] | undefined)?.map((v) => JSON.stringify(v)).join(' | ') ?? p.schema.type ?? ''))}${p.schema.default !== undefined ? ` (default ${esc(JSON.stringify(p.schema.default))})` : ''}</td></tr>`)
            .join('')}</tbody></table>`
        : '';
      const okStatus = Object.keys(op.responses).find((k) => k.startsWith('2'))!;
      const body = op.requestBody ? `<h4>Body</h4>${fieldsTable(op.requestBody.content['application/json'].schema)}` : '';
      const resp = `<details><summary>Response ${okStatus} schema</summary><pre>${esc(JSON.stringify(Object.values(op.responses[okStatus]!.content)[0]?.schema, null, 2))}</pre></details>`;
      const html = `<section class="op" id="${esc(method + path)}"><h3><span class="m m-${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3><p>${esc(op.summary)}</p><p class="desc">${esc(op.description).replace(/\n\n/g, '<br>')}</p>${params}${body}${resp}</section>`;
      const tag = op.tags[0] ?? 'other';
      (byTag.get(tag) ?? byTag.set(tag, []).get(tag)!).push(html);
    }
  }
  const nav = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join('');
  const sections = [...byTag.entries()].map(([t, ops]) => `<h2 id="tag-${esc(t)}">${esc(t)}</h2>${ops.join('')}`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Accord API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2933;background:#f7f8fa}
header{background:#111827;color:#fff;padding:16px 32px}header a{color:#a5b4fc}
main{max-width:980px;margin:0 auto;padding:16px 32px 64px}nav{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0 0}nav a{color:#c7d2fe}
.op{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:12px 18px;margin:12px 0}
h3{margin:4px 0;font-size:16px}.m{display:inline-block;min-width:64px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px;margin-right:6px}
.m-get{background:#2563eb}.m-post{background:#059669}.m-patch{background:#d97706}.m-put{background:#7c3aed}.m-delete{background:#dc2626}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:14px}th,td{border-bottom:1px solid #e4e7eb;padding:4px 8px;text-align:left;vertical-align:top}
.req{color:#b91c1c;font-size:12px}.desc{color:#52606d;font-size:14px}.none{color:#9aa5b1}pre{background:#f1f5f9;padding:8px;overflow:auto;font-size:12px}
</style></head><body><header><strong>Accord API reference</strong> · ${esc(doc.info.version)} · <a href="/api/openapi.json">openapi.json</a> · <a href="/">back to Accord</a><nav>${nav}</nav></header>
<main><p>${esc(doc.info.description)}</p>${sections}</main></body></html>`;
}
