/**
 * `@accord/client` against the real server (in process, PGlite in memory, no demo workspace, an
 * admin from the environment): sign in, API tokens, projects, a streamed import, and errors as ApiError.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createClient, type AccordClient } from '@accord/client';
import { createDb, type DbHandle } from '@accord/db';
import { startServer, type RunningServer } from '@accord/server';
import { pairItem } from '../utils/work.ts';

const ADMIN = { email: 'root@example.com', password: 'a long admin passphrase' };

/** The ApiError a call rejects with (fails the test when it resolves or throws something else). */
async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

describe('@accord/client against the real server', () => {
  let server: RunningServer;
  let db: DbHandle;
  let dataDir: string;
  let token: string;
  let client: AccordClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'accord-client-'));
    db = await createDb({ kind: 'pglite', dataDir: null });
    server = await startServer({
      env: { PORT: '0', HOST: '127.0.0.1', ACCORD_DATA_DIR: dataDir, ACCORD_LOG: 'error', NODE_ENV: 'test', ACCORD_DEMO: '0', ACCORD_ADMIN_EMAIL: ADMIN.email, ACCORD_ADMIN_PASSWORD: ADMIN.password },
      db,
    });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs in with a session, creates an API token, and the token works on its own', async () => {
    const browserless = createClient({ baseUrl: server.url });
    const me = await browserless.auth.login({ body: ADMIN });
    expect(me.user.email).toBe(ADMIN.email);
    expect((await browserless.auth.me()).user.isAdmin).toBe(true);
    const created = await browserless.auth.createToken({ body: { name: 'client test' } });
    expect(created.apiToken.name).toBe('client test');
    token = created.token;
    client = createClient({ baseUrl: server.url, token });
    expect((await client.auth.me()).user.email).toBe(ADMIN.email);
    expect((await client.auth.listTokens()).items.map((t) => t.name)).toContain('client test');
    await browserless.auth.logout();
    const afterLogout = await apiError(browserless.auth.me());
    expect(afterLogout).toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  it('creates a project, reads it back and lists it, typed from the contracts', async () => {
    const project = await client.projects.create({ body: { name: 'Client project', taskKind: 'pairwise' } });
    expect(project).toMatchObject({ name: 'Client project', description: '', taskKind: 'pairwise', myRole: 'lead' });
    expect((await client.projects.get({ params: { projectId: project.id } })).name).toBe('Client project');
    const page = await client.projects.list({ query: { q: 'Client', limit: 10 } });
    expect(page.items.map((p) => p.id)).toContain(project.id);
    expect(page.limit).toBe(10);
  });

  it('streams an import from a Node stream and follows the job', async () => {
    const project = await client.projects.create({ body: { name: 'Import target' } });
    const lines = [pairItem('client-1'), pairItem('client-2')].map((i) => JSON.stringify(i) + '\n');
    let job = await client.imports.start({ params: { projectId: project.id }, query: { kind: 'items', fileName: 'two.jsonl' }, body: Readable.from(lines.map((l) => Buffer.from(l))) });
    expect(job.fileName).toBe('two.jsonl');
    await expect
      .poll(async () => (job = await client.imports.get({ params: { projectId: project.id, jobId: job.id } })).status, { timeout: 30_000, interval: 200 })
      .toBe('done');
    expect(job.created).toBe(2);
    const again = await client.imports.start({ params: { projectId: project.id }, body: lines.join('') });
    expect(again.id).toBeDefined();
    const items = await client.projects.listItems({ params: { projectId: project.id } });
    expect(items.items.map((i) => i.externalId).sort()).toEqual(['client-1', 'client-2']);
  });

  it('surfaces a validation error as ApiError naming the field', async () => {
    const e = await apiError(client.users.create({ body: { email: 'not an email', name: 'X', password: 'long enough password' } }));
    expect(e.status).toBe(400);
    expect(e.code).toBe('validation_failed');
    expect(e.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body.email' })]));
    expect(e.message).toMatch(/email/);
  });

  it('surfaces refusals and missing resources with their status and code', async () => {
    const ghost = await apiError(client.projects.get({ params: { projectId: '00000000-0000-4000-8000-000000000000' } }));
    expect(ghost).toMatchObject({ status: 404, code: 'not_found' });
    const badToken = await apiError(createClient({ baseUrl: server.url, token: 'nope' }).projects.list());
    expect(badToken).toMatchObject({ status: 401, code: 'unauthenticated' });
    const wrongPassword = await apiError(createClient({ baseUrl: server.url }).auth.login({ body: { email: ADMIN.email, password: 'wrong password 123' } }));
    expect(wrongPassword).toMatchObject({ status: 401, code: 'unauthenticated' });
    // A path parameter left out is refused before any request is sent (status 0).
    const noId = await apiError(client.projects.get({ params: { projectId: '' } }));
    expect(noId).toMatchObject({ status: 0, code: 'validation_failed', details: [{ path: 'params.projectId', message: 'is required' }] });
  });
});
