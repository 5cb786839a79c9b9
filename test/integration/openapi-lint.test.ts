/**
 * The OpenAPI document generated from the route contracts passes `redocly lint` with the
 * recommended rules, without a single error or warning, and documents every error its routes answer.
 */
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, errorCodesOf } from '@accord/core';
import { buildOpenApi, routeTable } from '@accord/server';

const doc = buildOpenApi(routeTable);

type Operation = { operationId: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op: op as Operation })));

describe('the OpenAPI document', () => {
  it('passes redocly lint (recommended) with no error and no warning', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    const readable = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer).join(', ')}`);
    expect(readable).toEqual([]);
  }, 60_000);

  it('catches what the recommended rules flag: an operation without a 4xx response, a missing licence', async () => {
    // The lint itself must be able to fail: strip what this change added and the rules object.
    const broken = structuredClone(doc) as { info: { license?: unknown }; paths: Record<string, Record<string, Operation>> };
    delete broken.info.license;
    const health = broken.paths['/api/health']!.get!;
    health.responses = { 200: health.responses['200']! };
    const config = await createConfig({ extends: ['recommended'] });
    const ids = (await lintFromString({ source: JSON.stringify(broken), absoluteRef: 'openapi.json', config })).map((p) => p.ruleId);
    expect(ids).toContain('info-license');
    expect(ids).toContain('operation-4xx-response');
  }, 60_000);

  it('documents every error status of each route with the one shared Error schema', () => {
    expect(operations.length).toBe(routeTable.length);
    for (const r of routeTable) {
      const op = operations.find((o) => o.op.operationId === r.id)!;
      expect(op, r.id).toBeDefined();
      const statuses = Object.keys(op.op.responses).filter((s) => Number(s) >= 400);
      const want = [...new Set(errorCodesOf(r).map((c) => String(ERROR_STATUS[c])))];
      expect(statuses.sort(), r.id).toEqual([...want, '500'].sort());
      for (const s of statuses) expect(op.op.responses[s]!.content!['application/json']!.schema, `${r.id} ${s}`).toEqual({ $ref: '#/components/schemas/Error' });
    }
  });

  it('derives the errors from access and schemas: a signed-in route answers 401, a project route 404, a JSON body 415, login 429', () => {
    const byId = (id: string) => operations.find((o) => o.op.operationId === id)!.op.responses;
    expect(Object.keys(byId('projects.list'))).toEqual(expect.arrayContaining(['400', '401', '503']));
    expect(Object.keys(byId('projects.get'))).toEqual(expect.arrayContaining(['401', '403', '404']));
    expect(Object.keys(byId('projects.create'))).toEqual(expect.arrayContaining(['400', '403', '413', '415']));
    expect(Object.keys(byId('auth.login'))).toEqual(expect.arrayContaining(['401', '429']));
    expect(Object.keys(byId('imports.start'))).toEqual(expect.arrayContaining(['409', '413']));
    expect(Object.keys(byId('meta.health'))).not.toContain('401');
  });
});
