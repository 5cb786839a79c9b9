import { contracts } from '@accord/core';
import { describe, expect, it } from 'vitest';
import { ApiError, readAnswer, urlOf } from './client.ts';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
  const all: Record<string, string> = { 'content-type': 'application/json', ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) };
  return { status, text: JSON.stringify(body), header: (name: string) => all[name.toLowerCase()] ?? null };
};

function refusal(answer: ReturnType<typeof json>): ApiError {
  try {
    readAnswer(contracts.projects.list, answer);
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('readAnswer accepted a refusal');
}

describe('urlOf', () => {
  it('fills and encodes path parameters and appends the query', () => {
    expect(urlOf(contracts.imports.start, { params: { projectId: 'a/b' }, query: { kind: 'items', fileName: 'x y.csv' } })).toBe('/api/projects/a%2Fb/imports?kind=items&fileName=x+y.csv');
    expect(() => urlOf(contracts.imports.start, { params: {} })).toThrow(/params\.projectId is required/);
  });
});

describe('readAnswer', () => {
  it('answers a download with its text (a JSONL file is not one JSON document)', () => {
    const text = '{"prompt":"p","chosen":"a","rejected":"b"}\n{"prompt":"q","chosen":"c","rejected":"d"}\n';
    const answer = { status: 200, text, header: (n: string) => (n.toLowerCase() === 'content-type' ? 'application/x-ndjson; charset=utf-8' : null) };
    expect(readAnswer(contracts.exports.download, answer)).toBe(text);
  });

  it('parses a success with the contract', () => {
    expect(readAnswer(contracts.projects.list, json(200, { items: [], total: 0, limit: 20, offset: 0 }))).toEqual({ items: [], total: 0, limit: 20, offset: 0 });
  });

  it('carries the code, details, Retry-After and request id of a refusal', () => {
    const e = refusal(json(429, { error: { code: 'rate_limited', message: 'Slow down.' } }, { 'Retry-After': '7', 'X-Request-Id': 'r-1' }));
    expect(e).toMatchObject({ status: 429, code: 'rate_limited', message: 'Slow down.', details: [], retryAfter: 7, requestId: 'r-1' });
  });

  it('keeps the message and well-formed details of an envelope that does not fit the schema', () => {
    const e = refusal(json(400, { error: { code: 'validation_failed', message: 'bad', details: [{ path: 'query.limit', message: 'too big' }, { junk: 1 }] } }));
    expect(e).toMatchObject({ code: 'validation_failed', message: 'bad', details: [{ path: 'query.limit', message: 'too big' }] });
    expect(refusal(json(418, { error: { code: 'teapot', message: 'A newer server says no.' } }))).toMatchObject({ code: 'unexpected_response', message: 'A newer server says no.' });
  });

  it('reports an answer that is not the API’s', () => {
    expect(refusal({ status: 502, text: '<html>bad gateway</html>', header: (n) => (n === 'content-type' ? 'text/html' : null) })).toMatchObject({
      status: 502,
      code: 'unexpected_response',
      message: 'projects.list: HTTP 502 <html>bad gateway</html>',
    });
    expect(() => readAnswer(contracts.projects.list, json(200, { items: 'no' }))).toThrow(/does not fit the contract/);
  });
});
