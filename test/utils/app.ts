/**
 * The in-process tier: `createApp(deps)` over one database per test file (PGlite in memory, or a
 * fresh PostgreSQL database), answered by Hono's `app.request()` — no port, no socket, no demo
 * seed. For route behaviour (validation, status codes, access) that needs no realtime connection;
 * everything a request passes through (auth, CSRF, the route table, services, SQL) is the real one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@accord/db';
import { openTestDatabase } from '@accord/db/testing';
import { closeDeps, createApp, createDeps, parseEnv, type Deps } from '@accord/server';
import { ApiClient, type Transport } from './client.ts';
import { createFactory, type Factory } from './factory.ts';

export interface TestApp {
  deps: Deps;
  app: ReturnType<typeof createApp>;
  /** The origin requests are addressed to (and the Origin header clients send). */
  origin: string;
  /** A signed-out client answered in-process. */
  client(): ApiClient;
  /** Signed in as the first admin (created the way ACCORD_ADMIN_EMAIL bootstraps one). */
  admin: ApiClient;
  factory: Factory;
  close(): Promise<void>;
}

const ORIGIN = 'http://accord.test';

/** `clock`: the server's wall clock for time-based rules (qualification retry delays), so a test moves time instead of waiting. */
export async function createTestApp(kind: 'pglite' | 'postgres' = 'pglite', env: Record<string, string> = {}, overrides: { clock?: () => Date } = {}): Promise<TestApp> {
  const tdb = await openTestDatabase(kind);
  const db = await createDb(tdb.options);
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-app-'));
  let deps: Deps | null = null;
  try {
    deps = await createDeps(
      parseEnv({
        NODE_ENV: 'test',
        ACCORD_LOG: 'error',
        ACCORD_DATA_DIR: dataDir,
        ACCORD_DEMO: '0',
        // Every in-process request comes from the same (unknown) address: don't let the per-address
        // login limit decide a test.
        ACCORD_LOGIN_MAX_PER_ADDRESS: '100000',
        ...env,
      }),
      { db, ...overrides },
    );
    await deps.imports.init();
    const app = createApp(deps);
    const transport: Transport = (url, init) => app.request(url, init);
    const client = () => new ApiClient(ORIGIN, transport);
    const password = 'in-process admin password';
    const adminUser = await deps.users.create(null, { email: 'admin@accord.test', name: 'Admin', password, isAdmin: true });
    const admin = client();
    await admin.login(adminUser.email, password);
    const d = deps;
    return {
      deps: d,
      app,
      origin: ORIGIN,
      client,
      admin,
      factory: createFactory(admin, d),
      async close() {
        // Every service, background jobs included (consensus, quality drain, bus), before the database
        // goes: a timer of theirs firing later logged "PGlite is closed" into the next test's output.
        await closeDeps(d, { closeDb: false });
        await db.close().catch(() => {});
        await tdb.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (deps) await closeDeps(deps, { closeDb: false });
    await db.close().catch(() => {});
    await tdb.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}
